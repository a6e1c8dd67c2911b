import CEkyaML

/// Errors of the libtorch backend; each carries libtorch's (or the shim's) message.
public enum MLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An argument was out of range or inconsistent with the model or data.
    case invalidArgument(String)
    /// libtorch failed while computing.
    case torch(String)
    /// The training loss was NaN or infinite; the step was not applied and the weights are unchanged.
    case nonFiniteLoss(String)
    /// A file could not be read or written.
    case io(String)
    /// A file is not a valid TorchScript model or checkpoint (corrupt, truncated or another format).
    case badFile(String)
    /// The device or feature is not available in this libtorch build.
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message):
            "invalid ML request: \(message)"
        case .torch(let message):
            "libtorch failed: \(message)"
        case .nonFiniteLoss(let message):
            "training diverged: \(message); the model keeps its previous weights"
        case .io(let message):
            "cannot access the model file: \(message); check the path and its permissions"
        case .badFile(let message):
            "\(message); re-export it with torch.jit.save or save a new checkpoint"
        case .unsupported(let message):
            "not supported here: \(message)"
        }
    }

    /// Maps a failed shim status and the thread's last error message to an error.
    static func from(_ status: ekml_status) -> MLError {
        let message = String(cString: ekml_last_error())
        switch status {
        case EKML_INVALID_ARGUMENT: return .invalidArgument(message)
        case EKML_NONFINITE_LOSS: return .nonFiniteLoss(message)
        case EKML_IO_ERROR: return .io(message)
        case EKML_BAD_FILE: return .badFile(message)
        case EKML_UNSUPPORTED: return .unsupported(message)
        default: return .torch(message)
        }
    }
}

/// Throws the error for `status` unless it is `EKML_OK`.
@inline(__always)
func check(_ status: ekml_status) throws(MLError) {
    guard status == EKML_OK else { throw MLError.from(status) }
}
