/// Errors raised by the domain core; each says what was wrong and what to do about it.
public enum EkyaError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidQuantum(Double)
    case invalidDevices(Int)
    case invalidWindow(length: Int, labellingDelay: Double)
    case invalidScalingTable(String)
    case unknownScheduler(String)
    case invalidSchedulerSpec(String, reason: String)
    case unknownPolicy(String)
    case invalidProfile(stream: String, reason: String)
    /// A setting the chosen simulation model cannot reproduce.
    case unsupportedByModel(model: String, reason: String)

    public var description: String {
        switch self {
        case .invalidQuantum(let value):
            "quantum Δ = \(value) must be in (0, 1] and divide one device into a whole number of quanta (e.g. 0.1, 0.25)"
        case .invalidDevices(let count):
            "device count \(count) must be at least 1"
        case .invalidWindow(let length, let delay):
            "window length \(length) s must be positive and the labelling delay \(delay) s must be in [0, window)"
        case .invalidScalingTable(let reason):
            "inference subsampling table is invalid: \(reason)"
        case .unknownScheduler(let name):
            "unknown scheduler '\(name)'; known: \(SchedulerSpec.knownNamesDescription)"
        case .invalidSchedulerSpec(let spec, let reason):
            "scheduler '\(spec)' is malformed: \(reason)"
        case .unknownPolicy(let name):
            "unknown re-allocation policy '\(name)'; known: \(ReallocationPolicy.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidProfile(let stream, let reason):
            "profile of stream '\(stream)' is invalid: \(reason)"
        case .unsupportedByModel(let model, let reason):
            "the \(model) simulation model \(reason)"
        }
    }
}
