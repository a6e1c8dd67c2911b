/// What a retraining job that actually ran reached and cost, next to what was predicted for it.
///
/// This is the only knowledge of outcomes a scheduler may use: jobs that ran and finished before the
/// planning moment (earlier windows, or earlier in the current window).
public struct RealisedOutcome: Sendable, Equatable {
    public var stream: String
    public var window: Int
    public var configuration: String
    public var predicted: RetrainingOutcome
    public var actual: RetrainingOutcome

    public init(
        stream: String,
        window: Int,
        configuration: String,
        predicted: RetrainingOutcome,
        actual: RetrainingOutcome
    ) {
        self.stream = stream
        self.window = window
        self.configuration = configuration
        self.predicted = predicted
        self.actual = actual
    }
}

/// Observed progress of a running retraining job at a planning moment.
public struct JobProgress: Sendable, Equatable {
    /// Device-seconds of work the job has received so far.
    public var workDone: Double
    /// Fraction of the job's training steps completed (read off its step counter), in 0...1.
    public var fractionComplete: Double
    /// The job's predicted total cost when it was planned, in device-seconds.
    public var predictedTotalCost: Double

    public init(workDone: Double, fractionComplete: Double, predictedTotalCost: Double) {
        self.workDone = workDone
        self.fractionComplete = fractionComplete
        self.predictedTotalCost = predictedTotalCost
    }
}
