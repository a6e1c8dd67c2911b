import Foundation

// MARK: - Response bodies

struct StreamDTO: Codable, Sendable {
    var id: String
    var scenario: String
    var seed: Int64
    var status: String
    var servingVersion: Int?
    var addedWindow: Int?
    var removedWindow: Int?
    /// A video camera's recording or URL; absent for a Fashion-MNIST stream.
    var source: String?
    /// A live camera's ingest: `connecting`, `connected` or `disconnected`; absent for recordings.
    var connection: String?
    /// Why a live camera is disconnected.
    var connectionDetail: String?
    /// Times a live camera was reopened after it dropped or stalled.
    var reconnects: Int?
    var lastWindow: Int?
    var accuracyRealised: Double?
    var accuracyPredicted: Double?
    var retrainingPredictedEndAccuracy: Double?
    var retrainingRealisedEndAccuracy: Double?
    var inferenceShare: Double?
    var trainingShare: Double?
    var configuration: String?
    var retrainingProgress: Double?
}

struct StreamWindowDTO: Codable, Sendable {
    var window: Int
    var status: String
    var stream: String
    var startedAt: Date
    var endedAt: Date?
    var note: String?
    var accuracyRealised: Double?
    var accuracyPredicted: Double?
    var startAccuracy: Double?
    var configuration: String?
    var predictedEndAccuracy: Double?
    var realisedEndAccuracy: Double?
    var predictedCost: Double?
    var realisedCost: Double?
    var swapTime: Double?
    var refusedSwap: Bool?
    var failure: String?
    var inferenceShare: Double?
    var trainingShare: Double?
    var modelVersion: Int?
    var timeline: [Double]?
    var labelAccuracy: Double?
}

struct WindowDTO: Codable, Sendable {
    var window: Int
    var status: String
    var scheduler: String
    var streams: [String]
    var startedAt: Date
    var endedAt: Date?
    var wallSeconds: Double?
    var profilingCost: Double?
    var labellingCost: Double?
    var utilisation: Double?
    var note: String?
}

struct PlanDTO: Codable, Sendable {
    struct Stream: Codable, Sendable {
        var stream: String
        var inferenceShare: Double
        var trainingShare: Double
        var configuration: String?
        var retrainingProgress: Double?
        var swapped: Bool
    }

    var window: Int?
    var phase: String
    var time: Double?
    var windowSeconds: Double
    /// `live` (the window in progress) or `last-completed` (its first plan, between windows).
    var source: String
    var streams: [Stream]
}

struct ModelsDTO: Codable, Sendable {
    struct Version: Codable, Sendable {
        var version: Int
        var status: String
        var createdAt: Date
        var window: Int?
        var configuration: String?
        var validationAccuracy: Double?
        var path: String
        var serving: Bool
    }

    var stream: String
    var servingVersion: Int?
    var versions: [Version]
}

struct AcceptedDTO: Codable, Sendable {
    var stream: String
    var action: String
    var appliesAt: String
    var fromVersion: Int?
    var toVersion: Int?
}

struct HealthDTO: Codable, Sendable {
    var status: String
    var phase: String
    var window: Int?
    var lastCompletedWindow: Int?
    var interruptedAtStart: [Int]
    var lastError: String?
    var storageFault: String?
    var stalledSeconds: Double?
}
