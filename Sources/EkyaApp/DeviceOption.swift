import ArgumentParser
import EkyaCore
import EkyaML
import EkyaRuntime
import EkyaSimulation
import Foundation

extension TorchDevice.Request: ExpressibleByArgument, CustomStringConvertible {
    public init?(argument: String) { self.init(argument) }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .cpu: "cpu"
        case .cuda(let index): "cuda:\(index)"
        }
    }

    public static var allValueStrings: [String] { ["auto", "cpu", "cuda", "cuda:N"] }
}

// The runtime's choices as command-line values (their raw values; an unknown one lists the choices).
extension ClockMode: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension TeacherKind: ExpressibleByArgument {}
extension TrainingPlan.Subset: ExpressibleByArgument {}
extension PredictorKind: ExpressibleByArgument {}
extension ProfileSource: ExpressibleByArgument {}
extension SimulationModel: ExpressibleByArgument {}
extension Capacity.Packing: ExpressibleByArgument {}

/// `--device`: where the models of a command compute.
struct DeviceOption: ParsableArguments {
    @Option(
        help: """
            Where models compute: cpu, cuda, cuda:N, or auto (the first CUDA device when libtorch sees one, \
            else the CPU).
            """
    )
    var device: TorchDevice.Request = .auto

    /// Selects the device for every model made from now on and says which, on standard error (standard output
    /// may carry JSON).
    @discardableResult
    func apply() throws -> TorchDevice {
        do {
            let chosen = try TorchDevice.select(device)
            FileHandle.standardError.write(Data("device: \(chosen) (libtorch \(LibTorch.version))\n".utf8))
            return chosen
        } catch {
            throw AppError.invalidOption("\(error)")
        }
    }
}
