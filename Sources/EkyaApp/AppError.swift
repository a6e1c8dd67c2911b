import EkyaCore

/// Errors of the command-line layer: files that cannot be read or written, bad option values.
enum AppError: Error, CustomStringConvertible {
    case cannotWrite(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    case missingResource(String)
    case invalidOption(String)

    var description: String {
        switch self {
        case .cannotWrite(let path, let reason): "cannot write '\(path)': \(reason)"
        case .cannotRead(let path, let reason): "cannot read '\(path)': \(reason)"
        case .missingResource(let name): "embedded resource '\(name)' is missing from this build; rebuild ekya"
        case .invalidOption(let message): message
        }
    }
}

extension PredictorKind {
    /// The predictor called `name`, or an error naming the known ones.
    static func chosen(_ name: String) throws -> PredictorKind {
        guard let kind = PredictorKind(rawValue: name) else {
            throw AppError.invalidOption("unknown predictor '\(name)'; known: \(choices)")
        }
        return kind
    }
}
