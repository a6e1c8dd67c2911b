/// Parses scheduler names as given on the command line.
public enum SchedulerSpec {
    /// Human-readable list of accepted names.
    public static let knownNamesDescription =
        "ekya, thief, thief-fixpoint, thief-lookahead, thief-fixpoint-lookahead, thief-sco, optimal, inference-only, uniform:<config>:<inference%> "
        + "(e.g. uniform:hp5-15:50), and <base>+<feature>+… with features cal=none|global|config|family|stream|hier, "
        + "progress, check=<seconds>, robust=<quantile>, floor=<share>, shrink=<factor>, pool=<weight>, fill, refine, "
        + "quantum=<share>"

    /// The recommended combination, selectable as `ekya`.
    public static let recommended = "optimal+progress+check=10+fill+pool=0.35+refine+quantum=0.025"

    /// The scheduler called `name`.
    public static func make(_ name: String) throws(EkyaError) -> any Scheduler {
        if name == "ekya" {
            guard var tuned = try make(recommended) as? TunedScheduler else { throw .unknownScheduler(name) }
            tuned.label = "ekya"
            return tuned
        }
        // `ekya+feature…` is the recommended combination with more features.
        if name.hasPrefix("ekya+") {
            do {
                var tuned = try makeTuned(recommended + name.dropFirst("ekya".count))
                tuned.label = name
                return tuned
            } catch .invalidSchedulerSpec(_, let reason) {
                // Named as the user wrote it, not as expanded.
                throw .invalidSchedulerSpec(name, reason: reason)
            }
        }
        if name.contains("+") { return try makeTuned(name) }
        switch name {
        case "thief": return ThiefScheduler()
        case "thief-fixpoint": return ThiefScheduler(sweeps: 20)
        case "thief-lookahead": return ThiefScheduler(looksAhead: true)
        case "thief-fixpoint-lookahead": return ThiefScheduler(sweeps: 20, looksAhead: true)
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

    private static func makeTuned(_ name: String) throws(EkyaError) -> TunedScheduler {
        let parts = name.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        var tuned = TunedScheduler(base: try make(parts[0]), label: name)
        for feature in parts.dropFirst() {
            // An empty feature ("thief++") splits into nothing: it is an error, not an index out of range.
            let pair = feature.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = pair.first ?? ""
            let value = pair.count > 1 ? pair[1] : nil
            func number(_ range: ClosedRange<Double>) throws(EkyaError) -> Double {
                guard let value, let number = Double(value), range.contains(number) else {
                    throw .invalidSchedulerSpec(name, reason: "\(key) needs a number in \(range)")
                }
                return number
            }
            switch key {
            case "cal":
                guard let value, let scope = Calibrator.Scope(rawValue: value) else {
                    throw .invalidSchedulerSpec(name, reason: "cal= takes none, global, config, family, stream or hier")
                }
                tuned.calibration = scope
            case "progress": tuned.isProgressAware = true
            case "check": tuned.checkInterval = try number(0.5...100_000)
            case "robust": tuned.robustQuantile = try number(0.5...1)
            case "floor": tuned.inferenceFloor = try number(0...1)
            case "fill": tuned.isWaterFilling = true
            case "shrink": tuned.gainShrinkage = try number(0...1)
            case "pool": tuned.poolingWeight = try number(0...1)
            case "refine": tuned.refinesWithIdleCapacity = true
            case "quantum":
                let quantum = try number(0.001...1)
                guard (try? Capacity(devices: 1, quantum: quantum)) != nil else {
                    throw .invalidSchedulerSpec(name, reason: "quantum= needs 1/quantum to be a whole number")
                }
                tuned.planningQuantum = quantum
            default:
                throw .invalidSchedulerSpec(name, reason: "unknown feature '\(feature)'")
            }
        }
        return tuned
    }
}
