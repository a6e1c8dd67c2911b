import Synchronization

/// Where models compute: the CPU or one CUDA device.
///
/// Chosen once per process (``TorchDevice/select(_:)``); every model created or loaded afterwards is moved
/// there, and data follows each model batch by batch.
public enum TorchDevice: Sendable, Equatable, CustomStringConvertible {
    case cpu
    case cuda(index: Int)

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(let index): "cuda:\(index)"
        }
    }

    /// What `--device` asks for.
    public enum Request: Sendable, Equatable {
        case auto
        case cpu
        case cuda(index: Int)

        /// Parses `cpu`, `cuda`, `cuda:N` or `auto`.
        public init?(_ text: String) {
            switch text {
            case "auto": self = .auto
            case "cpu": self = .cpu
            case "cuda": self = .cuda(index: 0)
            default:
                guard text.hasPrefix("cuda:"), let index = Int(text.dropFirst(5)), (0...63).contains(index) else {
                    return nil
                }
                self = .cuda(index: index)
            }
        }
    }

    private static let selected = Mutex<TorchDevice>(.cpu)

    /// The device models are placed on.
    public static var current: TorchDevice { selected.withLock { $0 } }

    /// Resolves `request` against the linked libtorch and makes it the device of the models created next.
    ///
    /// `auto` is the first CUDA device where libtorch sees one, else the CPU.
    /// - Throws: ``MLError/unsupported(_:)`` when CUDA is asked for and this libtorch has none.
    @discardableResult
    public static func select(_ request: Request) throws(MLError) -> TorchDevice {
        let device = try resolve(request, cudaAvailable: LibTorch.isCUDAAvailable)
        selected.withLock { $0 = device }
        return device
    }

    /// The device `request` means where CUDA is or is not available.
    public static func resolve(_ request: Request, cudaAvailable: Bool) throws(MLError) -> TorchDevice {
        switch request {
        case .auto: return cudaAvailable ? .cuda(index: 0) : .cpu
        case .cpu: return .cpu
        case .cuda(let index):
            guard cudaAvailable else {
                throw .unsupported(
                    "--device cuda:\(index): libtorch \(LibTorch.version) sees no CUDA device (Debian's libtorch is "
                        + "CPU-only; build with EKYA_LIBTORCH=<a CUDA PyTorch's torch directory> on a machine with a "
                        + "GPU, or use --device cpu)"
                )
            }
            return .cuda(index: index)
        }
    }
}
