import EkyaCore
import EkyaData
import EkyaDataML
import EkyaFleet
import EkyaML
import EkyaRuntime
import EkyaStore
import Foundation
import Logging
import Synchronization

/// Stream changes at window boundaries: restoring streams after a restart, taking and handing over streams
/// in a fleet, and the API's queued commands.
extension WindowLoop {
    /// Streams that were serving before the restart serve their last accepted model again.
    func restoreStreams(_ session: RuntimeSession) throws {
        for stream in try store.streams() where stream.status == .active || stream.status == .removing {
            try adopt(stream, session)
        }
    }

    /// Starts serving a stream that was serving before (here, or on another node of the fleet) from its serving
    /// model version; retrains a starting model only when that version cannot be loaded.
    func adopt(_ stream: StreamRecord, _ session: RuntimeSession) throws {
        guard let scenario = ScenarioPreset(rawValue: stream.scenario) else { return }
        let spec = StreamSpec(id: stream.id, scenario: scenario, seed: UInt64(stream.seed), source: stream.source)
        var model: TorchModel?
        if let version = stream.servingVersion {
            do {
                try fetchFromFleet(stream: stream.id, version: version)
                model = try session.loadModel(contentsOf: models.modelPath(stream: stream.id, version: version))
                servingVersions[stream.id] = version
            } catch let failure as PersistenceFailure {
                throw failure
            } catch {
                logger.error(
                    "cannot load the serving model; retraining a starting model",
                    metadata: ["stream": "\(stream.id)", "version": "\(version)", "error": "\(error)"]
                )
            }
        }
        if let model {
            try session.add(spec, serving: model)
        } else {
            state.update { $0.phase = .training(stream: stream.id) }
            let trained = try session.trainStartingModel(spec)
            let record = try saveModel(trained, stream: stream.id, window: nil, configuration: nil, accuracy: nil)
            try store.activate(stream: stream.id, model: record, window: try store.nextWindowNumber(), command: nil)
            try session.add(spec, serving: trained)
        }
        metrics.register(stream: stream.id)
    }

    /// In a fleet the database's copy of a model version is the authoritative one: it replaces the local copy.
    func fetchFromFleet(stream: String, version: Int) throws {
        guard let fleet, let bytes = try persisting({ try fleet.store.modelFile(stream: stream, version: version) })
        else { return }
        let record = try persisting { try store.modelVersion(stream: stream, version: version) }
        try persisting {
            try models.write(
                ModelMetadata(
                    stream: stream,
                    version: version,
                    createdAt: record?.createdAt ?? Date(),
                    window: record?.window,
                    configuration: record?.configuration,
                    validationAccuracy: record?.validationAccuracy
                )
            ) { path in try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        }
    }

    /// At a window boundary: drops streams whose lease was lost, hands over those the assignment moves, and
    /// takes free streams assigned here (from their newest model version).
    func rebalance(_ session: RuntimeSession, _ fleet: FleetMembership) throws {
        let (moves, snapshot) = try persisting { try fleet.plan() }
        let held = fleet.streams
        for stream in session.streams.map(\.id) where !held.contains(stream) {
            try session.remove(stream)
            servingVersions[stream] = nil
            logger.warning("lease lost; the stream is no longer served here", metadata: ["stream": "\(stream)"])
        }
        for stream in moves.release {
            if session.streams.contains(where: { $0.id == stream }) { try session.remove(stream) }
            servingVersions[stream] = nil
            try persisting { try fleet.release(stream) }
            logger.info("stream handed over", metadata: ["stream": "\(stream)"])
        }
        for id in moves.acquire {
            guard !stopping, let stream = snapshot.streams.first(where: { $0.id == id }),
                try persisting({ try fleet.acquire(id) })
            else { continue }
            logger.info("stream taken", metadata: ["stream": "\(id)", "status": "\(stream.status.rawValue)"])
            // A pending stream starts with its `add` command; the others continue from their serving model.
            guard stream.status != .pending, !session.streams.contains(where: { $0.id == id }) else { continue }
            guard let current = try persisting({ try store.stream(id) }) else { continue }
            try adopt(current, session)
        }
    }

    /// Applies the queued API changes (add, remove, rollback) at a window boundary.
    func applyCommands(_ session: RuntimeSession) throws {
        let held = fleet?.streams
        for command in try persisting({ try store.pendingCommands() }) {
            guard !stopping else { return }
            // In a fleet a stream's commands are applied by the node holding its lease.
            if let held, !held.contains(command.stream) { continue }
            let window = try persisting { try store.nextWindowNumber() }
            do {
                switch command.kind {
                case .add:
                    guard let stream = try store.stream(command.stream), stream.status == .pending,
                        let scenario = ScenarioPreset(rawValue: stream.scenario)
                    else {
                        try store.reject(command: command.id ?? -1, note: "the stream is no longer pending")
                        continue
                    }
                    let spec = StreamSpec(
                        id: stream.id,
                        scenario: scenario,
                        seed: UInt64(stream.seed),
                        source: stream.source
                    )
                    state.update { $0.phase = .training(stream: stream.id) }
                    let model = try session.trainStartingModel(spec)
                    let record = try saveModel(model, stream: stream.id, window: nil, configuration: nil, accuracy: nil)
                    try persisting {
                        try store.activate(stream: stream.id, model: record, window: window, command: command.id)
                    }
                    try session.add(spec, serving: model)
                    metrics.register(stream: stream.id)
                    logger.info("stream added", metadata: ["stream": "\(stream.id)", "window": "\(window)"])
                case .remove:
                    if session.streams.contains(where: { $0.id == command.stream }) {
                        try session.remove(command.stream)
                    }
                    liveSources?.remove(command.stream)
                    servingVersions[command.stream] = nil
                    try persisting {
                        try store.finishRemoval(stream: command.stream, window: window, command: command.id)
                    }
                    try persisting { try fleet?.release(command.stream) }
                    logger.info("stream removed", metadata: ["stream": "\(command.stream)", "window": "\(window)"])
                case .rollback:
                    guard let version = command.version else {
                        try store.reject(command: command.id ?? -1, note: "no version given")
                        continue
                    }
                    let model = try session.loadModel(
                        contentsOf: models.modelPath(stream: command.stream, version: version)
                    )
                    try session.replaceModel(command.stream, with: model)
                    try persisting { try store.applyRollback(stream: command.stream, to: version, command: command.id) }
                    servingVersions[command.stream] = version
                    logger.info(
                        "model rolled back",
                        metadata: ["stream": "\(command.stream)", "version": "\(version)"]
                    )
                }
            } catch let failure as PersistenceFailure {
                // The command stays queued and is applied once the storage accepts writes again.
                throw failure
            } catch {
                if command.kind == .add {
                    // A stream that cannot start is not left pending forever.
                    try store.finishRemoval(stream: command.stream, window: window, command: nil)
                    try fleet?.release(command.stream)
                }
                logger.warning(
                    "command rejected",
                    metadata: [
                        "command": "\(command.kind.rawValue)", "stream": "\(command.stream)", "error": "\(error)",
                    ]
                )
                try store.reject(command: command.id ?? -1, note: "\(error)")
            }
        }
    }
}
