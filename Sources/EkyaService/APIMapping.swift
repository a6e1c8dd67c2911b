import EkyaData
import EkyaRuntime
import EkyaStore
import Foundation

/// The one mapping from store records and live state to the API's response types.
extension API {
    static func streams(_ api: APIContext, includeRemoved: Bool = false) throws -> [StreamDTO] {
        try api.store.streams(includeRemoved: includeRemoved).map { try stream(api, record: $0) }
    }

    /// One stream's view: its record, its newest result and plan, and its live shares.
    static func stream(_ api: APIContext, record: StreamRecord) throws -> StreamDTO {
        let current = api.state.snapshot.live?.streams.first { $0.stream == record.id }
        let last = try api.store.latestResult(stream: record.id)
        let live = record.status == .removed ? nil : api.liveSources.source(record.id)?.liveStatus
        return StreamDTO(
            id: record.id,
            scenario: record.scenario,
            seed: record.seed,
            status: record.status.rawValue,
            servingVersion: record.servingVersion,
            addedWindow: record.addedWindow,
            removedWindow: record.removedWindow,
            source: record.source,
            connection: live.map { $0.connection.rawValue },
            connectionDetail: live?.reason,
            reconnects: live?.reconnects,
            lastWindow: last?.window.number,
            accuracyRealised: last?.result?.measuredAccuracy,
            accuracyPredicted: last?.result?.simulatedAccuracy,
            retrainingPredictedEndAccuracy: last?.result?.predictedEndAccuracy,
            retrainingRealisedEndAccuracy: last?.result?.realisedEndAccuracy,
            inferenceShare: current?.inferenceShare ?? last?.plan?.inferenceShare,
            trainingShare: current?.trainingShare ?? last?.plan?.trainingShare,
            configuration: current?.configuration ?? last?.plan?.configuration,
            retrainingProgress: current?.progress
        )
    }

    static func window(_ record: WindowRecord) -> WindowDTO {
        WindowDTO(
            window: record.number,
            status: record.status.rawValue,
            scheduler: record.scheduler,
            streams: record.streams.split(separator: ",").map(String.init),
            startedAt: record.startedAt,
            endedAt: record.endedAt,
            wallSeconds: record.wallSeconds,
            profilingCost: record.profilingCost,
            labellingCost: record.labellingCost,
            utilisation: record.utilisation,
            note: record.note
        )
    }

    static func streamWindow(_ summary: StreamWindowSummary, stream: String) -> StreamWindowDTO {
        let result = summary.result
        return StreamWindowDTO(
            window: summary.window.number,
            status: summary.window.status.rawValue,
            stream: stream,
            startedAt: summary.window.startedAt,
            endedAt: summary.window.endedAt,
            note: summary.window.note,
            accuracyRealised: result?.measuredAccuracy,
            accuracyPredicted: result?.simulatedAccuracy,
            startAccuracy: result?.startAccuracy,
            configuration: result?.configuration,
            predictedEndAccuracy: result?.predictedEndAccuracy,
            realisedEndAccuracy: result?.realisedEndAccuracy,
            predictedCost: result?.predictedCost,
            realisedCost: result?.realisedCost,
            swapTime: result?.swapTime,
            refusedSwap: result?.refusedSwap,
            failure: result?.failure,
            inferenceShare: summary.plan?.inferenceShare,
            trainingShare: summary.plan?.trainingShare,
            modelVersion: result?.modelVersion,
            timeline: result?.timelineValues,
            labelAccuracy: result?.labelAccuracy
        )
    }

    /// A stream's model versions, the serving one marked.
    static func models(_ api: APIContext, stream id: String) throws -> ModelsDTO {
        guard let stream = try api.store.stream(id) else { throw APIError.notFound("no stream '\(id)'") }
        let versions = try api.store.modelVersions(stream: id).map {
            ModelsDTO.Version(
                version: $0.version,
                status: $0.status.rawValue,
                createdAt: $0.createdAt,
                window: $0.window,
                configuration: $0.configuration,
                validationAccuracy: $0.validationAccuracy,
                path: $0.path,
                serving: $0.version == stream.servingVersion
            )
        }
        return ModelsDTO(stream: id, servingVersion: stream.servingVersion, versions: versions)
    }

    static func plan(_ api: APIContext) throws -> PlanDTO {
        let state = api.state.snapshot
        if let live = state.live, state.window == live.window {
            return PlanDTO(
                window: live.window,
                phase: live.phase.rawValue,
                time: live.time,
                windowSeconds: live.windowSeconds,
                source: "live",
                streams: live.streams.map {
                    PlanDTO.Stream(
                        stream: $0.stream,
                        inferenceShare: $0.inferenceShare,
                        trainingShare: $0.trainingShare,
                        configuration: $0.configuration,
                        retrainingProgress: $0.progress,
                        swapped: $0.swapped
                    )
                }
            )
        }
        let last = try api.store.windows(limit: 20).first { $0.status == .completed }
        var streams: [PlanDTO.Stream] = []
        if let last {
            for name in last.streams.split(separator: ",").map(String.init) {
                guard
                    let summary = try api.store.windows(stream: name, limit: 20).first(where: {
                        $0.window.number == last.number
                    }), let plan = summary.plan
                else { continue }
                streams.append(
                    PlanDTO.Stream(
                        stream: name,
                        inferenceShare: plan.inferenceShare,
                        trainingShare: plan.trainingShare,
                        configuration: plan.configuration,
                        retrainingProgress: nil,
                        swapped: summary.result?.swapTime != nil
                    )
                )
            }
        }
        return PlanDTO(
            window: last?.number,
            phase: state.phase.description,
            time: nil,
            windowSeconds: api.windowSeconds,
            source: "last-completed",
            streams: streams
        )
    }
}
