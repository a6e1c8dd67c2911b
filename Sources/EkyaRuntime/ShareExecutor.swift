/// A job the executor runs step by step on one device.
public protocol ExecutorJob: AnyObject {
    var id: String { get }
    /// Whether the job can run a step at time `time` (seconds since the window started).
    func hasWork(at time: Double) -> Bool
    /// Runs one step at time `time` and returns the device time it used, in device-seconds.
    func step(at time: Double) throws -> Double
}

/// Runs jobs on one device under enforced, live-changeable shares by weighted time slicing.
///
/// Time advances in ticks. In each tick every job earns `share × tick` device-seconds of budget; the
/// executor then repeatedly runs one step of the backlogged job with the largest budget (deficit round
/// robin), charging the step's measured device time, until no backlogged job has budget left. Overdrafts
/// carry over as debt, unused budget does not (shares are both a guarantee and a cap), so over a window
/// each backlogged job's achieved share stays within about one step of its allocation. A share change
/// takes effect at the next step; nothing restarts.
///
/// The executor never sleeps: `pace` is called at the end of every tick with the tick's end time, and
/// the caller decides what time means (a wall clock sleeps until then; a virtual clock does nothing).
public final class ShareExecutor {
    /// What a job was given and used since the last ``resetAccounting()``.
    public struct Accounting: Sendable, Equatable {
        /// Device-seconds allocated while the job was backlogged (had work at a tick start).
        public var allocated: Double = 0
        /// Device-seconds the job used.
        public var used: Double = 0
        /// Seconds during which the job was backlogged.
        public var backloggedTime: Double = 0

        /// |used − allocated| as a fraction of the device over the backlogged time.
        public var shareError: Double {
            backloggedTime > 0 ? abs(used - allocated) / backloggedTime : 0
        }
    }

    private final class Entry {
        let job: any ExecutorJob
        var share: Double
        var budget = 0.0
        var accounting = Accounting()

        init(job: any ExecutorJob, share: Double) {
            self.job = job
            self.share = share
        }
    }

    /// Length of one scheduling tick in seconds.
    public let tick: Double
    /// Current time in seconds since the window started.
    public private(set) var now: Double
    private var entries: [Entry] = []

    public init(tick: Double = 0.05, start: Double = 0) {
        self.tick = tick
        self.now = start
    }

    /// Adds a job with a share (fraction of the device in 0...1).
    public func add(_ job: any ExecutorJob, share: Double) {
        entries.append(Entry(job: job, share: max(0, share)))
    }

    /// Removes a job; its share is simply no longer handed out.
    public func remove(id: String) {
        entries.removeAll { $0.job.id == id }
    }

    /// Changes a job's share from the next step on.
    public func setShare(_ share: Double, for id: String) {
        entries.first { $0.job.id == id }?.share = max(0, share)
    }

    /// The share of a job, or nil if it is not running here.
    public func share(of id: String) -> Double? {
        entries.first { $0.job.id == id }?.share
    }

    /// Identifiers of the jobs, in the order they were added.
    public var jobIDs: [String] { entries.map(\.job.id) }

    /// Accounting of a job since the last reset.
    public func accounting(of id: String) -> Accounting? {
        entries.first { $0.job.id == id }?.accounting
    }

    /// Starts a new accounting period, such as a window, for every job.
    public func resetAccounting() {
        for entry in entries { entry.accounting = Accounting() }
    }

    /// Runs ticks until `end`; after each tick calls `pace` (wall-clock pacing) and `afterTick` (window logic).
    public func run(
        until end: Double,
        pace: (Double) throws -> Void = { _ in },
        afterTick: (Double) throws -> Void = { _ in }
    ) throws {
        while now < end - 1e-9 {
            let length = min(tick, end - now)
            let tickStart = now
            for entry in entries {
                let backlogged = entry.job.hasWork(at: tickStart)
                if backlogged {
                    entry.budget += entry.share * length
                    entry.accounting.allocated += entry.share * length
                    entry.accounting.backloggedTime += length
                } else {
                    // Unused budget is not banked: a share is a cap as well as a guarantee.
                    entry.budget = min(entry.budget, 0)
                }
            }
            while let entry = entries.filter({ $0.budget > 1e-12 && $0.job.hasWork(at: tickStart) })
                .max(by: { $0.budget < $1.budget })
            {
                let used = try entry.job.step(at: tickStart)
                entry.budget -= used
                entry.accounting.used += used
            }
            for entry in entries where !entry.job.hasWork(at: tickStart) && entry.budget > 0 {
                // The job ran out of work inside the tick: what it could not use was never really allocated.
                entry.accounting.allocated -= entry.budget
                entry.budget = 0
            }
            now = tickStart + length
            try pace(now)
            try afterTick(now)
        }
    }
}
