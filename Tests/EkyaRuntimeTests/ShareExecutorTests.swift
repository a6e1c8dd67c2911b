import EkyaRuntime
import Testing

/// A job with a known cost per step (what the executor must share out), always backlogged unless limited.
final class FixedCostJob: ExecutorJob {
    let id: String
    let cost: Double
    var limit: Int?
    private(set) var steps = 0

    init(id: String, cost: Double, limit: Int? = nil) {
        self.id = id
        self.cost = cost
        self.limit = limit
    }

    func hasWork(at time: Double) -> Bool { limit.map { steps < $0 } ?? true }

    func step(at time: Double) throws -> Double {
        steps += 1
        return cost
    }
}

@Suite struct ShareExecutorTests {
    @Test(arguments: [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.25, 0.25, 0.25, 0.25], [0.05, 0.6]])
    func achievedSharesMatchAllocations(shares: [Double]) throws {
        // Given jobs with different step costs
        let executor = ShareExecutor(tick: 0.05)
        let costs = [0.003, 0.011, 0.007, 0.002]
        let jobs = shares.indices.map { FixedCostJob(id: "j\($0)", cost: costs[$0 % costs.count]) }
        for (job, share) in zip(jobs, shares) { executor.add(job, share: share) }
        // When the executor runs a 60-second window
        try executor.run(until: 60)
        // Then each job used its share of the device within 1 %
        for (job, share) in zip(jobs, shares) {
            let accounting = try #require(executor.accounting(of: job.id))
            #expect(abs(accounting.used / 60 - share) < 0.01, "\(job.id): used \(accounting.used / 60) vs \(share)")
            #expect(accounting.shareError < 0.01)
        }
    }

    @Test func shareChangesTakeEffectMidRunWithoutRestart() throws {
        let executor = ShareExecutor(tick: 0.05)
        let a = FixedCostJob(id: "a", cost: 0.004)
        let b = FixedCostJob(id: "b", cost: 0.004)
        executor.add(a, share: 0.8)
        executor.add(b, share: 0.2)
        try executor.run(until: 30)
        let firstA = try #require(executor.accounting(of: "a")).used
        executor.setShare(0.1, for: "a")
        executor.setShare(0.9, for: "b")
        executor.resetAccounting()
        try executor.run(until: 60)
        #expect(abs(firstA / 30 - 0.8) < 0.01)
        #expect(abs(try #require(executor.accounting(of: "a")).used / 30 - 0.1) < 0.01)
        #expect(abs(try #require(executor.accounting(of: "b")).used / 30 - 0.9) < 0.01)
        // The same job objects kept running: their step counters only grew.
        #expect(a.steps > 0 && b.steps > 0)
    }

    @Test func idleShareIsNotBankedAndFinishedJobsStop() throws {
        let executor = ShareExecutor(tick: 0.1)
        let short = FixedCostJob(id: "short", cost: 0.01, limit: 50)
        let long = FixedCostJob(id: "long", cost: 0.01)
        executor.add(short, share: 0.5)
        executor.add(long, share: 0.5)
        try executor.run(until: 20)
        #expect(short.steps == 50)
        // The long job never exceeds its cap even when the other job is idle.
        let accounting = try #require(executor.accounting(of: "long"))
        #expect(accounting.used <= 0.5 * 20 + 0.011)
        #expect(accounting.shareError < 0.01)
    }

    @Test func paceIsCalledOncePerTickWithTheTickEnd() throws {
        let executor = ShareExecutor(tick: 0.5)
        executor.add(FixedCostJob(id: "x", cost: 0.01), share: 1)
        var ends: [Double] = []
        try executor.run(until: 2, pace: { ends.append($0) })
        #expect(ends == [0.5, 1, 1.5, 2])
    }

    @Test func errorsFromJobsPropagate() {
        struct Boom: Error {}
        final class FailingJob: ExecutorJob {
            let id = "bad"
            func hasWork(at time: Double) -> Bool { true }
            func step(at time: Double) throws -> Double { throw Boom() }
        }
        let executor = ShareExecutor()
        executor.add(FailingJob(), share: 0.5)
        #expect(throws: Boom.self) { try executor.run(until: 1) }
    }
}
