import Foundation
import Testing

@testable import EkyaStore

/// The store suite: every test runs against SQLite and PostgreSQL alike.
@Suite(.timeLimit(.minutes(10))) struct ServiceStoreTests {
    static func model(_ stream: String, _ version: Int, window: Int? = nil) -> ModelVersionRecord {
        ModelVersionRecord(
            stream: stream,
            version: version,
            createdAt: Date(),
            window: window,
            configuration: nil,
            validationAccuracy: 0.5,
            path: "models/\(stream)/\(version)/model.pt"
        )
    }

    @Test(arguments: StoreBackend.allCases) func streamLifecycleGoesThroughQueuedCommands(backend: StoreBackend) throws
    {
        try backend.withStore { store in
            // Given a store
            // When a stream is added, activated and removed
            try store.requestAdd(id: "cam-1", scenario: "weather", seed: 1)
            #expect(throws: StoreError.conflict("stream 'cam-1' already exists (pending)")) {
                try store.requestAdd(id: "cam-1", scenario: "weather", seed: 1)
            }
            let add = try #require(try store.pendingCommands().first)
            #expect(add.kind == .add)
            try store.activate(stream: "cam-1", model: Self.model("cam-1", 1), window: 1, command: add.id)
            #expect(try store.stream("cam-1")?.status == .active)
            #expect(try store.stream("cam-1")?.servingVersion == 1)
            #expect(try store.pendingCommands().isEmpty)
            try store.requestRemove(id: "cam-1")
            let remove = try #require(try store.pendingCommands().first)
            try store.finishRemoval(stream: "cam-1", window: 2, command: remove.id)
            // Then it is gone from the list but its history stays
            #expect(try store.streams().isEmpty)
            #expect(try store.streams(includeRemoved: true).map(\.status) == [.removed])
            #expect(throws: StoreError.notFound("no stream 'cam-1'")) { try store.requestRemove(id: "cam-1") }
            #expect(try store.modelVersions(stream: "cam-1").count == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aStreamsLatestResultIsItsNewestWindowWithAResult(
        backend: StoreBackend
    ) throws {
        try backend.withStore { store in
            // Given a stream with results in windows 1 and 2, and a running window 3 without one
            try store.requestAdd(id: "cam", scenario: "stable", seed: 1)
            #expect(try store.latestResult(stream: "cam") == nil)
            let run = try store.beginRun(configuration: "{}")
            for number in 1...3 {
                let window = try store.beginWindow(
                    WindowRecord(
                        runId: run,
                        number: number,
                        status: .running,
                        scheduler: "thief",
                        streams: "cam",
                        startedAt: Date(),
                        windowSeconds: 60
                    )
                )
                guard number < 3 else { continue }
                try store.complete(
                    WindowCompletion(
                        window: window,
                        streams: [
                            .result(window: window.id ?? -1, stream: "cam", accuracy: 0.6 + Double(number) / 10)
                        ],
                        plans: [
                            PlanRecord(
                                windowId: window.id ?? -1,
                                stream: "cam",
                                inferenceShare: 0.5,
                                trainingShare: 0.5,
                                configuration: "head-1"
                            )
                        ],
                        profiling: [],
                        acceptedModels: []
                    )
                )
            }
            // Then the latest result is window 2's, with its plan
            let latest = try #require(try store.latestResult(stream: "cam"))
            #expect(latest.window.number == 2)
            #expect(abs((latest.result?.measuredAccuracy ?? 0) - 0.8) < 1e-12)
            #expect(latest.plan?.configuration == "head-1")
        }
    }

    @Test(arguments: StoreBackend.allCases) func rollbackServesTheNewestOlderAcceptedVersion(
        backend: StoreBackend
    ) throws {
        try backend.withStore { store in
            // Given a stream with versions 1, 2, 3 (3 serving)
            try store.requestAdd(id: "cam", scenario: "stable", seed: 1)
            try store.activate(stream: "cam", model: Self.model("cam", 1), window: 1, command: nil)
            let run = try store.beginRun(configuration: "{}")
            for version in [2, 3] {
                let window = try store.beginWindow(
                    WindowRecord(
                        runId: run,
                        number: version,
                        status: .running,
                        scheduler: "thief",
                        streams: "cam",
                        startedAt: Date(),
                        windowSeconds: 30
                    )
                )
                try store.complete(
                    WindowCompletion(
                        window: window,
                        streams: [],
                        plans: [],
                        profiling: [],
                        acceptedModels: [Self.model("cam", version, window: version)]
                    )
                )
            }
            #expect(try store.stream("cam")?.servingVersion == 3)
            // When a rollback is asked for and applied
            let (from, to) = try store.requestRollback(stream: "cam")
            #expect(from == 3 && to == 2)
            let command = try #require(try store.pendingCommands().first)
            try store.applyRollback(stream: "cam", to: to, command: command.id)
            // Then version 2 serves and 3 is marked rolled back; the next new version is 4
            #expect(try store.stream("cam")?.servingVersion == 2)
            #expect(try store.modelVersion(stream: "cam", version: 3)?.status == .rolledBack)
            #expect(try store.nextModelVersion(stream: "cam") == 4)
            let (_, again) = try store.requestRollback(stream: "cam")
            #expect(again == 1)
            #expect(throws: StoreError.self) { try store.requestRollback(stream: "cam", to: 3) }
        }
    }

    @Test(arguments: StoreBackend.allCases) func retentionPrunesOldVersionsButNeverTheServingOne(
        backend: StoreBackend
    ) throws {
        try backend.withStore { store in
            // Given a stream with versions 1…5, rolled back to 2
            try store.requestAdd(id: "cam", scenario: "stable", seed: 1)
            for version in 1...5 {
                try store.activate(stream: "cam", model: Self.model("cam", version), window: 1, command: nil)
            }
            try store.applyRollback(stream: "cam", to: 2, command: nil)
            // When all but the newest two are pruned
            let pruned = try store.pruneModelVersions(stream: "cam", keep: 2)
            // Then 1 and 3 go; 4, 5 (newest) and 2 (serving) stay; pruned rows remain as history
            #expect(pruned == [3, 1])
            #expect(try store.keeps(stream: "cam", version: 2))
            #expect(try !store.keeps(stream: "cam", version: 3))
            #expect(try !store.keeps(stream: "cam", version: 9))
            #expect(try store.modelVersions(stream: "cam").count == 5)
            #expect(try store.pruneModelVersions(stream: "cam", keep: 2).isEmpty)
            #expect(throws: StoreError.self) { try store.requestRollback(stream: "cam", to: 1) }
        }
    }

    @Test(arguments: StoreBackend.allCases) func recoveryMarksRunningWindowsInterruptedAndRunsCrashed(
        backend: StoreBackend
    ) throws {
        try backend.withStore { store in
            // Given a run that died with window 4 running
            let run = try store.beginRun(configuration: "{}")
            _ = try store.beginWindow(
                WindowRecord(
                    runId: run,
                    number: 4,
                    status: .running,
                    scheduler: "thief",
                    streams: "a,b",
                    startedAt: Date(),
                    windowSeconds: 30
                )
            )
            // When the next process recovers
            let recovery = try store.recover()
            // Then the window is interrupted, the run crashed, and the next window is 5
            #expect(recovery == Recovery(interruptedWindows: [4], crashedRuns: 1))
            #expect(try store.window(number: 4)?.status == .interrupted)
            #expect(try store.runs().first?.status == .crashed)
            #expect(try store.nextWindowNumber() == 5)
            #expect(try store.windows(stream: "b").count == 1)
            #expect(try store.windows(stream: "c").isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases) func aWallClockSteppedBackOrForwardReordersNothingAndRecoveryStillWorks(
        backend: StoreBackend
    ) throws {
        try backend.withStore { store in
            // Given a store whose wall clock steps back a day after the first stream, then forward a year
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let times = [start, start.addingTimeInterval(-86_400), start.addingTimeInterval(365 * 86_400)]
            for (index, id) in ["cam-a", "cam-b", "cam-c"].enumerated() {
                try store.requestAdd(id: id, scenario: "stable", seed: 1, source: nil, now: times[index])
            }
            let run = try store.beginRun(configuration: "{}", now: times[2])
            for (number, time) in zip(1...3, [times[2], times[0], times[1]]) {
                let window = try store.beginWindow(
                    WindowRecord(
                        runId: run,
                        number: number,
                        status: .running,
                        scheduler: "thief",
                        streams: "cam-a",
                        startedAt: time,
                        windowSeconds: 30
                    )
                )
                if number < 3 { try store.end(windowID: window.id ?? -1, status: .completed, note: "", now: time) }
            }
            // When a later process recovers with the clock stepped back again
            let recovery = try store.recover(now: times[1].addingTimeInterval(-60))
            // Then streams keep the order they were added in, windows their numbers, and recovery its answer
            #expect(try store.streams().map(\.id) == ["cam-a", "cam-b", "cam-c"])
            #expect(try store.windows(limit: 10).map(\.number) == [3, 2, 1])
            #expect(recovery == Recovery(interruptedWindows: [3], crashedRuns: 1))
            #expect(try store.nextWindowNumber() == 4)
            #expect(try store.windows(limit: 10).map(\.status) == [.interrupted, .completed, .completed])
        }
    }
}
