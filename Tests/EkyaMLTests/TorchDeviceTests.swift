import EkyaCore
import Testing

@testable import EkyaML

@Suite struct TorchDeviceTests {
    @Test(arguments: [
        ("auto", TorchDevice.Request.auto), ("cpu", .cpu), ("cuda", .cuda(index: 0)), ("cuda:3", .cuda(index: 3)),
    ])
    func parsesWhatDeviceAsksFor(text: String, request: TorchDevice.Request) {
        #expect(TorchDevice.Request(text) == request)
    }

    @Test(arguments: ["gpu", "cuda:", "cuda:-1", "cuda:x", "CPU", ""])
    func refusesOtherDevices(text: String) {
        #expect(TorchDevice.Request(text) == nil)
    }

    @Test func autoIsTheFirstCUDADeviceWhereThereIsOneElseTheCPU() throws {
        #expect(try TorchDevice.resolve(.auto, cudaAvailable: true) == .cuda(index: 0))
        #expect(try TorchDevice.resolve(.auto, cudaAvailable: false) == .cpu)
        #expect(try TorchDevice.resolve(.cuda(index: 1), cudaAvailable: true) == .cuda(index: 1))
        #expect(try TorchDevice.resolve(.cpu, cudaAvailable: true) == .cpu)
    }

    @Test func cudaWithoutCUDAIsAClearError() {
        do {
            _ = try TorchDevice.resolve(.cuda(index: 0), cudaAvailable: false)
            Issue.record("cuda was accepted without CUDA")
        } catch {
            #expect("\(error)".contains("--device cuda:0: libtorch"))
            #expect("\(error)".contains("sees no CUDA device"))
            #expect("\(error)".contains("EKYA_LIBTORCH"))
        }
    }

    @Test(.enabled(if: !LibTorch.isCUDAAvailable, "this libtorch has CUDA"))
    func onACPUOnlyLibtorchAutoSelectsTheCPUAndCUDAIsRefused() throws {
        #expect(try TorchDevice.select(.auto) == .cpu)
        #expect(TorchDevice.current == .cpu)
        #expect(throws: MLError.self) { try TorchDevice.select(.cuda(index: 0)) }
        #expect(TorchDevice.current == .cpu)
    }
}
