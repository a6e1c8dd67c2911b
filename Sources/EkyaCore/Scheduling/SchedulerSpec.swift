/// Parses scheduler names as given on the command line.
public enum SchedulerSpec {
    /// Human-readable list of accepted names.
    public static let knownNamesDescription =
        "thief, thief-fixpoint, thief-sco, optimal, inference-only, uniform:<config>:<inference%> (e.g. uniform:hp5-15:50)"

    /// The scheduler called `name`.
    public static func make(_ name: String) throws(EkyaError) -> any Scheduler {
        switch name {
        case "thief": return ThiefScheduler()
        case "thief-fixpoint": return ThiefScheduler(sweeps: 20)
        case "thief-sco": return ThiefSCOScheduler()
        case "optimal": return OptimalScheduler()
        case "inference-only": return UniformScheduler.inferenceOnly
        default: break
        }
        let parts = name.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "uniform" else { throw .unknownScheduler(name) }
        guard parts.count == 3, !parts[1].isEmpty else {
            throw .invalidSchedulerSpec(name, reason: "expected uniform:<config>:<inference%>")
        }
        guard let percent = Double(parts[2]), percent >= 0, percent <= 100 else {
            throw .invalidSchedulerSpec(name, reason: "inference percentage '\(parts[2])' must be a number in 0...100")
        }
        return UniformScheduler(configuration: parts[1], inferenceFraction: percent / 100)
    }
}
