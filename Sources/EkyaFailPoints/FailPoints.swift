import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A place in the code where a fault-injection test can make the process crash or hang.
public enum FailPoint: String, Sendable, CaseIterable {
    /// A model version's files are written and flushed, the directory is not yet renamed into place.
    case modelWrite = "model-write"
    /// A database migration has run its statements, its transaction is not yet committed.
    case migration
    /// A retraining job is about to run a training step.
    case trainingStep = "training-step"
}

/// Fail points armed by the environment variable `EKYA_FAILPOINTS`.
///
/// For fault-injection tests of the real executable (as FreeBSD's fail points or TiKV's fail-rs):
/// `NAME=ACTION[@N],…`, where ACTION is `kill`
/// (SIGKILL to the process: a crash at exactly that point) or `hang` (the calling thread never returns) and
/// N is which hit of the point fires (1 when absent). Unset, a hit costs one dictionary lookup on an empty
/// dictionary.
public enum FailPoints {
    public enum Action: String, Sendable {
        case kill
        case hang
    }

    public struct Rule: Sendable, Equatable {
        public var action: Action
        public var hit: Int
    }

    static let rules: [FailPoint: Rule] = parse(ProcessInfo.processInfo.environment["EKYA_FAILPOINTS"] ?? "")
    static let hits = Mutex<[FailPoint: Int]>([:])

    /// Parses `NAME=ACTION[@N],…`; unknown names or actions are ignored (the variable is for tests).
    public static func parse(_ text: String) -> [FailPoint: Rule] {
        var rules: [FailPoint: Rule] = [:]
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let point = FailPoint(rawValue: parts[0]) else { continue }
            let actionAndHit = parts[1].split(separator: "@", maxSplits: 1).map(String.init)
            guard let action = actionAndHit.first.flatMap(Action.init(rawValue:)) else { continue }
            let hit = actionAndHit.count == 2 ? Int(actionAndHit[1]) ?? 1 : 1
            rules[point] = Rule(action: action, hit: max(1, hit))
        }
        return rules
    }

    /// Fires `point` when it is armed and this is the hit it is armed for.
    public static func hit(_ point: FailPoint) {
        guard let rule = rules[point] else { return }
        let count = hits.withLock { counts -> Int in
            counts[point, default: 0] += 1
            return counts[point, default: 0]
        }
        guard count == rule.hit else { return }
        FileHandle.standardError.write(Data("fail point \(point.rawValue): \(rule.action.rawValue)\n".utf8))
        switch rule.action {
        case .kill:
            kill(getpid(), SIGKILL)
        case .hang:
            while true { sleep(3600) }
        }
    }
}
