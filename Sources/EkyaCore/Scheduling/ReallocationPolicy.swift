/// What happens to a retraining job's share when it finishes (spec §2).
public enum ReallocationPolicy: String, Sendable, CaseIterable, Equatable {
    /// Re-run the scheduler for the rest of the window (paper §4).
    case paper
    /// Split the freed share equally among inference jobs with a non-zero share (authors' system code).
    case codeSystem = "code-system"
    /// Split it equally among still-running training jobs and all inference jobs (authors' simulator).
    case codeSimulator = "code-simulator"
    /// Give it to the same stream's inference job (makes the problem separable per stream, spec §7).
    case ownStream = "own-stream"

    /// Parses a policy name.
    public init(name: String) throws(EkyaError) {
        guard let policy = ReallocationPolicy(rawValue: name) else { throw .unknownPolicy(name) }
        self = policy
    }
}
