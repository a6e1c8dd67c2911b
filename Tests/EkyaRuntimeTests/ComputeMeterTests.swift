import EkyaCore
import EkyaML
import Foundation
import Testing

@testable import EkyaRuntime

@Suite struct ComputeMeterTests {
    @Test func modelledCostsChargeTheWorkTimesTheSlowdownWhateverTheBodyTook() {
        // Given work-modelled costs and a device 10× slower than this machine
        let costs = WorkCosts(
            inferencePerImage: 0.001,
            validationPerImage: 0.000_5,
            headTrainingPerImage: 0.002,
            fullTrainingPerImage: 0.004,
            teacherPerImage: 0.01
        )
        let meter = ComputeMeter(accounting: .modelled(costs), slowdown: 10)
        // When work of each kind is charged
        let frame = meter.charge(ComputeWork(inferredImages: 1)) { 7 }
        let head = meter.charge(ComputeWork(validatedImages: 10, trainedImages: 32, headOnly: true)) { () }
        let all = meter.charge(ComputeWork(trainedImages: 32, headOnly: false)) { () }
        let teacher = meter.charge(ComputeWork(teacherImages: 3)) { () }
        let bookkeeping = meter.charge(.none) { () }
        // Then each costs its images × the per-image cost × the slowdown, and the body's value comes back
        #expect(frame.value == 7)
        #expect(abs(frame.deviceSeconds - 0.01) < 1e-12)
        #expect(abs(head.deviceSeconds - (0.05 + 0.64)) < 1e-12)
        #expect(abs(all.deviceSeconds - 1.28) < 1e-12)
        #expect(abs(teacher.deviceSeconds - 0.3) < 1e-12)
        #expect(bookkeeping.deviceSeconds == 0)
    }

    @Test func measuredComputeIsTheCallingThreadsOwnNotOtherThreads() throws {
        // Given another thread of this process spinning on a core for a while
        let stop = ManagedAtomicFlag()
        let spinner = Thread {
            var x = 0.0
            while !stop.isSet { x += 1 }
            _ = x
        }
        spinner.start()
        defer { stop.set() }
        // When the measured meter charges a body that only sleeps (no compute of its own)
        let meter = ComputeMeter(accounting: .measured, slowdown: 1)
        let (_, charged) = meter.charge(.none) { Thread.sleep(forTimeInterval: 0.3) }
        // Then it charges (almost) nothing: the other thread's 0.3 s of CPU are not this work's
        #expect(charged < 0.05, "charged \(charged) s for a sleep")
        // while a body that computes is charged for it.
        let (_, computed) = meter.charge(.none) { () -> Double in
            let start = threadComputeSeconds()
            var x = 0.0
            while threadComputeSeconds() - start < 0.02 { x += 1 }
            return x
        }
        #expect(computed >= 0.02)
    }
}

/// A flag one thread sets and another polls.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
