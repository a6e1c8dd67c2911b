import Foundation
import GRDB

/// One start of `ekya serve`: when it started, how it ended (`running` until it ends; a run still `running`
/// at the next start was killed and is marked `crashed`).
public struct RunRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "runs"

    /// How a run ended (stored as its raw value).
    public enum Status: String, Codable, Sendable {
        case running, stopped, failed, crashed
    }

    public var id: Int64?
    public var startedAt: Date
    public var endedAt: Date?
    public var status: Status
    /// The configuration the run started with (JSON).
    public var configuration: String
    /// The fleet node that ran it ("" for a server of its own).
    public var node: String

    public init(
        id: Int64? = nil,
        startedAt: Date,
        endedAt: Date? = nil,
        status: Status,
        configuration: String,
        node: String = ""
    ) {
        self.id = id
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.status = status
        self.configuration = configuration
        self.node = node
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// A camera stream the service runs (or was asked to run, or ran).
public struct StreamRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "streams"

    /// Lifecycle: `pending` (added, starts at the next window boundary) → `active` → `removing` (leaves at
    /// the next boundary) → `removed`.
    public enum Status: String, Codable, Sendable {
        case pending, active, removing, removed
    }

    public var id: String
    public var scenario: String
    public var seed: Int64
    public var status: Status
    /// The model version serving this stream (nil until its first model is accepted).
    public var servingVersion: Int?
    public var createdAt: Date
    public var addedWindow: Int?
    public var removedWindow: Int?
    /// A video camera's recording; nil for a Fashion-MNIST stream.
    public var source: String?

    public init(
        id: String,
        scenario: String,
        seed: Int64,
        status: Status,
        servingVersion: Int? = nil,
        createdAt: Date,
        addedWindow: Int? = nil,
        removedWindow: Int? = nil,
        source: String? = nil
    ) {
        self.id = id
        self.scenario = scenario
        self.seed = seed
        self.status = status
        self.servingVersion = servingVersion
        self.createdAt = createdAt
        self.addedWindow = addedWindow
        self.removedWindow = removedWindow
        self.source = source
    }
}

/// A retraining window.
///
/// `running` while it runs; `completed`, or `interrupted` when the process stopped
/// (shutdown) or died (found `running` at the next start) before the window ended.
public struct WindowRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "windows"

    public enum Status: String, Codable, Sendable {
        case running, completed, interrupted, failed
    }

    public var id: Int64?
    public var runId: Int64
    public var number: Int
    public var status: Status
    public var scheduler: String
    /// The streams of the window, comma-separated, in the window's order.
    public var streams: String
    public var startedAt: Date
    public var endedAt: Date?
    /// Window length T (virtual or wall seconds) and the wall-clock time the window took.
    public var windowSeconds: Double
    public var wallSeconds: Double?
    public var delay: Double?
    public var profilingCost: Double?
    /// Device-seconds the teacher spent labelling the window's samples (schema v3).
    public var labellingCost: Double?
    public var exhaustiveCost: Double?
    public var decisionMilliseconds: Double?
    /// Device-seconds used by all jobs over the window's device-seconds.
    public var utilisation: Double?
    public var note: String?

    public init(
        id: Int64? = nil,
        runId: Int64,
        number: Int,
        status: Status,
        scheduler: String,
        streams: String,
        startedAt: Date,
        windowSeconds: Double
    ) {
        self.id = id
        self.runId = runId
        self.number = number
        self.status = status
        self.scheduler = scheduler
        self.streams = streams
        self.startedAt = startedAt
        self.windowSeconds = windowSeconds
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}

/// What happened to one stream in one completed window.
public struct StreamWindowRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "stream_windows"
    public var windowId: Int64
    public var stream: String
    public var startAccuracy: Double
    public var measuredAccuracy: Double
    public var simulatedAccuracy: Double
    public var configuration: String?
    public var predictedEndAccuracy: Double?
    public var realisedEndAccuracy: Double?
    public var predictedCost: Double?
    public var realisedCost: Double?
    public var swapTime: Double?
    public var refusedSwap: Bool
    public var failure: String?
    public var shareError: Double
    /// The model version serving at the window's end.
    public var modelVersion: Int?
    /// Accuracy over each second of the window (JSON array; schema v2).
    public var timeline: String
    /// Share of the teacher's labels of the window's sample that were right (schema v3).
    public var labelAccuracy: Double?

    public init(
        windowId: Int64,
        stream: String,
        startAccuracy: Double,
        measuredAccuracy: Double,
        simulatedAccuracy: Double,
        configuration: String? = nil,
        predictedEndAccuracy: Double? = nil,
        realisedEndAccuracy: Double? = nil,
        predictedCost: Double? = nil,
        realisedCost: Double? = nil,
        swapTime: Double? = nil,
        refusedSwap: Bool = false,
        failure: String? = nil,
        shareError: Double = 0,
        modelVersion: Int? = nil,
        timeline: String = "[]",
        labelAccuracy: Double? = nil
    ) {
        self.windowId = windowId
        self.stream = stream
        self.startAccuracy = startAccuracy
        self.measuredAccuracy = measuredAccuracy
        self.simulatedAccuracy = simulatedAccuracy
        self.configuration = configuration
        self.predictedEndAccuracy = predictedEndAccuracy
        self.realisedEndAccuracy = realisedEndAccuracy
        self.predictedCost = predictedCost
        self.realisedCost = realisedCost
        self.swapTime = swapTime
        self.refusedSwap = refusedSwap
        self.failure = failure
        self.shareError = shareError
        self.modelVersion = modelVersion
        self.timeline = timeline
        self.labelAccuracy = labelAccuracy
    }

    /// The per-second accuracies.
    public var timelineValues: [Double] {
        (try? JSONDecoder().decode([Double].self, from: Data(timeline.utf8))) ?? []
    }
}

/// The scheduler's first plan of a window for one stream (shares and configuration).
public struct PlanRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "plans"
    public var windowId: Int64
    public var stream: String
    public var inferenceShare: Double
    public var trainingShare: Double
    public var configuration: String?

    public init(windowId: Int64, stream: String, inferenceShare: Double, trainingShare: Double, configuration: String?)
    {
        self.windowId = windowId
        self.stream = stream
        self.inferenceShare = inferenceShare
        self.trainingShare = trainingShare
        self.configuration = configuration
    }
}

/// A micro-profiling result: one configuration's predicted end accuracy and cost for a stream in a window.
public struct ProfilingRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "profiling"
    public var windowId: Int64
    public var stream: String
    public var configuration: String
    public var predictedAccuracy: Double
    public var predictedCost: Double

    public init(
        windowId: Int64,
        stream: String,
        configuration: String,
        predictedAccuracy: Double,
        predictedCost: Double
    ) {
        self.windowId = windowId
        self.stream = stream
        self.configuration = configuration
        self.predictedAccuracy = predictedAccuracy
        self.predictedCost = predictedCost
    }
}

/// A model version in the model store (`models/<stream>/<version>/model.pt`).
public struct ModelVersionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "model_versions"

    public enum Status: String, Codable, Sendable {
        case accepted
        case rolledBack = "rolled-back"
        /// Removed from the model store by retention (the row stays as history).
        case pruned
    }

    public var stream: String
    public var version: Int
    public var createdAt: Date
    /// The window whose retraining produced it (nil: the starting model).
    public var window: Int?
    public var configuration: String?
    public var validationAccuracy: Double?
    /// Path relative to the data directory.
    public var path: String
    public var status: Status

    public init(
        stream: String,
        version: Int,
        createdAt: Date,
        window: Int?,
        configuration: String?,
        validationAccuracy: Double?,
        path: String,
        status: Status = .accepted
    ) {
        self.stream = stream
        self.version = version
        self.createdAt = createdAt
        self.window = window
        self.configuration = configuration
        self.validationAccuracy = validationAccuracy
        self.path = path
        self.status = status
    }
}

/// A change asked for through the API, applied at the next window boundary (schema v2).
public struct CommandRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "commands"

    public enum Kind: String, Codable, Sendable {
        case add, remove, rollback
    }

    public enum Status: String, Codable, Sendable {
        case pending, applied, rejected
    }

    public var id: Int64?
    public var kind: Kind
    public var stream: String
    /// Rollback: the version to serve.
    public var version: Int?
    public var status: Status
    public var createdAt: Date
    public var appliedAt: Date?
    public var note: String?

    public init(id: Int64? = nil, kind: Kind, stream: String, version: Int? = nil, status: Status, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.stream = stream
        self.version = version
        self.status = status
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
