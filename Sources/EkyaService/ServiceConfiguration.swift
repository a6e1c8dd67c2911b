// Over 400 lines: the serve configuration is one type with its parser, defaults and validation, kept in one
// file so that every key's check and default sit beside each other.

import EkyaCore
import EkyaData
import EkyaML
import EkyaRuntime
import Foundation

/// Errors of the service's configuration and start-up; each names the file or field at fault.
public enum ServiceError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): message
        }
    }
}

/// The configuration of `ekya serve` (JSON keys in snake case; unknown keys are errors).
public struct ServiceConfiguration: Sendable, Equatable {
    /// The embedded default: five streams, one per drift preset.
    public static let demoStreams: [StreamSpec] = ScenarioPreset.allCases.enumerated().map { index, scenario in
        StreamSpec(id: scenario.rawValue, scenario: scenario, seed: 1 &+ UInt64(index) &* 7919)
    }

    public var host: String
    public var port: Int
    public var token: String
    public var dataDir: String
    /// The database: SQLite in the data directory by default, or a PostgreSQL server.
    public var store: StoreLocation = .sqlite(path: nil)
    /// This server's id in a fleet (servers sharing one PostgreSQL store); nil: the host name.
    public var nodeID: String?
    /// How long a node's heartbeat and stream leases last unrenewed (renewed every third of it): a dead node's
    /// streams move to the others after at most this long.
    public var leaseSeconds: Double = 15
    /// The URL other nodes and operators reach this server's API at (nil: `http(s)://LISTEN`); in a pod,
    /// its stable DNS name.
    public var advertise: String?
    /// Streams the service starts with when its database has none (afterwards the database and the API rule).
    public var streams: [StreamSpec]
    public var windowSeconds: Double
    /// Wall-clock pause between windows (an idle edge server between retraining windows).
    public var pauseSeconds: Double
    public var cropsPerSecond: Double
    public var devices: Int
    public var slowdown: Double
    public var scheduler: String
    public var seed: UInt64
    /// Length of the drift cycle the streams repeat.
    public var cycle: Int
    public var profileEpochs: Int
    /// Who labels each window's sample: ground truth (with `labelErrorRate` of it wrong) or the teacher network.
    public var teacher: TeacherKind
    public var labelErrorRate: Double
    /// Folder of the cached teacher network (nil: `ModelTeacher.defaultCacheDirectory`).
    public var teacherCache: String?
    /// Model versions kept on disk per stream (newest first; the serving one always stays).
    public var keepModelVersions: Int
    public var fashionMNISTDirectory: String
    /// A window that makes no progress this long (wall seconds) is reported stalled in `/api/health` and
    /// `/metrics` (a native call that never returns: the operator or a liveness probe restarts the service).
    public var stallSeconds: Double = 300
    /// TLS: the PEM certificate chain and private key; both or neither (plain HTTP).
    public var tls: TLSFiles?
    /// The runtime's mechanisms and training settings, as `ekya run` has them (same keys, same defaults).
    public var features = RuntimeFeatures()

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        token: String,
        dataDir: String,
        streams: [StreamSpec] = ServiceConfiguration.demoStreams,
        windowSeconds: Double = 60,
        pauseSeconds: Double = 2,
        cropsPerSecond: Double = 10,
        devices: Int = 1,
        slowdown: Double = 10,
        scheduler: String = "ekya",
        seed: UInt64 = 1,
        cycle: Int = 30,
        profileEpochs: Int = 2,
        teacher: TeacherKind = .groundTruth,
        labelErrorRate: Double = 0,
        teacherCache: String? = nil,
        keepModelVersions: Int = 20,
        fashionMNISTDirectory: String = FashionMNIST.defaultDirectory
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.dataDir = dataDir
        self.streams = streams
        self.windowSeconds = windowSeconds
        self.pauseSeconds = pauseSeconds
        self.cropsPerSecond = cropsPerSecond
        self.devices = devices
        self.slowdown = slowdown
        self.scheduler = scheduler
        self.seed = seed
        self.cycle = cycle
        self.profileEpochs = profileEpochs
        self.teacher = teacher
        self.labelErrorRate = labelErrorRate
        self.teacherCache = teacherCache
        self.keepModelVersions = keepModelVersions
        self.fashionMNISTDirectory = fashionMNISTDirectory
    }

    /// The runtime settings of the service's windows (virtual clock: real compute, nothing sleeps).
    public var runtimeSettings: RuntimeSettings {
        RuntimeSettings(
            scenarios: streams.map(\.scenario),
            windows: 1,
            windowSeconds: windowSeconds,
            cropsPerSecond: cropsPerSecond,
            devices: devices,
            slowdown: slowdown,
            clock: .virtual,
            configurations: RetrainingConfiguration.grid(named: features.grid) ?? RetrainingConfiguration.defaultGrid,
            profileEpochs: profileEpochs,
            profilingSubset: features.profilingSubset,
            servesProfiledModels: features.servesProfiledModels,
            refinesWithIdleCapacity: features.refinesWithIdleCapacity,
            servesImprovedEpochs: features.servesImprovedEpochs,
            profilesInBackground: features.profilesInBackground,
            retrainsServingModel: features.retrainsServingModel,
            fullRateHeadroom: features.fullRateHeadroom,
            policy: features.policy,
            labelErrorRate: labelErrorRate,
            teacher: teacher,
            learningRate: features.learningRate,
            optimizer: features.optimizer,
            seed: seed
        )
    }

    public static let keys =
        [
            "listen", "token", "data_dir", "store", "streams", "window_seconds", "pause_seconds", "crops_per_second",
            "devices",
            "slowdown", "scheduler", "seed", "cycle", "profile_epochs", "keep_model_versions",
            "fashion_mnist_directory",
            "teacher", "label_error_rate", "teacher_cache", "stall_seconds", "tls_cert", "tls_key",
            "node_id", "lease_seconds", "advertise",
        ] + RuntimeFeatures.keys

    /// Whether several servers can share this configuration's store as one fleet (PostgreSQL), and then this
    /// server's node id.
    public var fleetNodeID: String? {
        guard case .postgres = store else { return nil }
        return nodeID ?? Self.hostNodeID
    }

    /// Where this server's API answers, as other nodes of its fleet show it.
    public var advertisedAddress: String {
        advertise ?? "\(tls == nil ? "http" : "https")://\(host):\(port)"
    }

    /// The host name as a node id (a Kubernetes StatefulSet's pod name).
    static var hostNodeID: String {
        let name = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }.prefix(63))
        return cleaned.isEmpty ? "node" : cleaned
    }

    /// Checks the fleet settings: a valid node id, and one only with a store a fleet can share.
    public func validateFleet() throws {
        if let nodeID {
            let allowed = nodeID.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0)
            }
            guard (1...63).contains(nodeID.count), allowed, nodeID.first != "." else {
                throw ServiceError.invalidConfiguration(
                    "node id '\(nodeID)' must be 1 to 63 letters, digits, '-', '_' or '.'"
                )
            }
            guard case .postgres = store else {
                throw ServiceError.invalidConfiguration(
                    "a node id needs a PostgreSQL store (the servers of a fleet share it): add --store postgres://…"
                )
            }
        }
        if let advertise {
            guard let url = URL(string: advertise), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ServiceError.invalidConfiguration(
                    "advertise must be an http:// or https:// URL (e.g. http://ekya-0.ekya:8080), not '\(advertise)'"
                )
            }
        }
        guard (2...3_600).contains(leaseSeconds) else {
            throw ServiceError.invalidConfiguration("lease seconds must be in 2...3600, not \(leaseSeconds)")
        }
    }

    /// Parses `host:port` (IPv6 as `[::1]:8080`).
    public static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        let fail = ServiceError.invalidConfiguration("listen must be HOST:PORT (e.g. 127.0.0.1:8080), not '\(text)'")
        guard let colon = text.lastIndex(of: ":") else { throw fail }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw fail
        }
        return (host, port)
    }

    /// A stream id: 1–40 of `a-z 0-9 _ -`, starting with a letter or digit (it names a directory).
    public static func isValidStreamID(_ id: String) -> Bool {
        guard (1...40).contains(id.count), let first = id.unicodeScalars.first else { return false }
        let allowed = { (scalar: Unicode.Scalar) in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_"
        }
        return id.unicodeScalars.allSatisfy(allowed) && first != "-" && first != "_"
    }

    /// Parses a configuration file's text; errors name the file and the field.
    public static func parse(_ text: String, file: String) throws -> ServiceConfiguration {
        func fail(_ message: String) -> ServiceError { .invalidConfiguration("\(file): \(message)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
            throw fail("not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else { throw fail("the configuration must be a JSON object") }
        if let duplicate = firstDuplicateKey(in: text) { throw fail("key '\(duplicate)' appears twice") }
        if let unknown = dictionary.keys.sorted().first(where: { !keys.contains($0) }) {
            throw fail("unknown key '\(unknown)'; known keys: \(keys.sorted().joined(separator: ", "))")
        }
        let fields = JSONFields(dictionary, fail: fail)
        // The token may come from the command line or the environment instead (a secret, not configuration).
        let token = try fields.string("token") ?? ""
        if dictionary["token"] != nil, token.isEmpty { throw fail("field 'token' must be a non-empty string") }
        guard let dataDir = try fields.string("data_dir"), !dataDir.isEmpty else {
            throw fail("field 'data_dir' is required (a directory path)")
        }
        var configuration = ServiceConfiguration(token: token, dataDir: dataDir)
        if let store = try fields.string("store") {
            do {
                configuration.store = try StoreLocation.parse(store)
            } catch {
                throw fail("field 'store': \(error)")
            }
        }
        if let listen = try fields.string("listen") {
            do {
                (configuration.host, configuration.port) = try parseListen(listen)
            } catch {
                throw fail("field 'listen': \(error)")
            }
        }
        if let streams = dictionary["streams"] {
            configuration.streams = try parseStreams(streams, fail: fail)
        }
        configuration.windowSeconds = try fields.number("window_seconds", in: 5...86_400) ?? configuration.windowSeconds
        configuration.pauseSeconds = try fields.number("pause_seconds", in: 0...86_400) ?? configuration.pauseSeconds
        configuration.cropsPerSecond =
            try fields.number("crops_per_second", in: 1...1_000) ?? configuration.cropsPerSecond
        configuration.devices = try fields.integer("devices", in: 1...64) ?? configuration.devices
        configuration.slowdown = try fields.number("slowdown", in: 0.01...1_000) ?? configuration.slowdown
        configuration.scheduler = try fields.string("scheduler") ?? configuration.scheduler
        configuration.seed = UInt64(try fields.integer("seed", in: 0...Int.max) ?? Int(configuration.seed))
        configuration.cycle = try fields.integer("cycle", in: 1...10_000) ?? configuration.cycle
        configuration.profileEpochs = try fields.integer("profile_epochs", in: 1...20) ?? configuration.profileEpochs
        configuration.keepModelVersions =
            try fields.integer("keep_model_versions", in: 1...100_000) ?? configuration.keepModelVersions
        configuration.fashionMNISTDirectory =
            try fields.string("fashion_mnist_directory") ?? configuration.fashionMNISTDirectory
        if let teacher = try fields.string("teacher") {
            guard let kind = TeacherKind(rawValue: teacher) else {
                throw fail("field 'teacher' must be \"ground-truth\" or \"model\", not '\(teacher)'")
            }
            configuration.teacher = kind
        }
        configuration.labelErrorRate = try fields.number("label_error_rate", in: 0...1) ?? configuration.labelErrorRate
        configuration.teacherCache = try fields.string("teacher_cache") ?? configuration.teacherCache
        configuration.stallSeconds = try fields.number("stall_seconds", in: 1...86_400) ?? configuration.stallSeconds
        configuration.nodeID = try fields.string("node_id")
        configuration.leaseSeconds = try fields.number("lease_seconds", in: 2...3_600) ?? configuration.leaseSeconds
        configuration.advertise = try fields.string("advertise")
        do {
            try configuration.validateFleet()
        } catch {
            throw fail("\(error)")
        }
        do {
            configuration.tls = try TLSFiles(
                certificate: try fields.string("tls_cert"),
                key: try fields.string("tls_key")
            )
        } catch let error as ServiceError {
            throw fail("\(error)")
        }
        configuration.features = try RuntimeFeatures.parse(fields)
        if configuration.teacher == .model, let index = configuration.streams.firstIndex(where: { $0.source != nil }) {
            throw fail(
                "field 'streams[\(index)].source': a video camera is labelled by its detector; use \"teacher\": \"ground-truth\""
            )
        }
        if let scheduler = try fields.string("scheduler") {
            do {
                _ = try SchedulerSpec.make(scheduler)
            } catch {
                throw fail("field 'scheduler': \(error)")
            }
        }
        do {
            try configuration.runtimeSettings.validate()
        } catch {
            throw fail("field '\(error.setting.configKey)' \(error.message)")
        }
        return configuration
    }

    static func parseStreams(_ value: Any, fail: (String) -> ServiceError) throws -> [StreamSpec] {
        guard let array = value as? [Any], !array.isEmpty else {
            throw fail("field 'streams' must be a non-empty array")
        }
        var specs: [StreamSpec] = []
        for (index, item) in array.enumerated() {
            let path = "streams[\(index)]"
            let spec: StreamSpec
            if let name = item as? String {
                guard let scenario = ScenarioPreset(rawValue: name) else {
                    throw fail("field '\(path)': unknown scenario '\(name)'")
                }
                spec = StreamSpec(id: name, scenario: scenario, seed: 1 &+ UInt64(index) &* 7919)
            } else if let object = item as? [String: Any] {
                do {
                    spec = try StreamRequest.parse(object, defaultSeed: 1 &+ UInt64(index) &* 7919)
                } catch let error as StreamRequest.Invalid {
                    throw fail("field '\(path).\(error.field)': \(error.message)")
                }
            } else {
                throw fail("field '\(path)' must be a scenario name or an object {\"id\", \"scenario\", \"seed\"}")
            }
            guard !specs.contains(where: { $0.id == spec.id }) else {
                throw fail("field '\(path).id': duplicate stream id '\(spec.id)'")
            }
            specs.append(spec)
        }
        return specs
    }

    /// The configuration as JSON (recorded with each run; the token is left out).
    public var summaryJSON: String {
        let streams = self.streams.map {
            "{\"id\":\"\($0.id)\",\"scenario\":\"\($0.scenario.rawValue)\",\"seed\":\($0.seed)"
                + ($0.source.map { ",\"source\":\(jsonString($0))" } ?? "") + "}"
        }
        return """
            {"listen":"\(host):\(port)","data_dir":\(jsonString(dataDir)),"store":\(jsonString(store.description)),"streams":[\(streams.joined(separator: ","))],\
            "window_seconds":\(windowSeconds),"pause_seconds":\(pauseSeconds),"crops_per_second":\(cropsPerSecond),\
            "devices":\(devices),"slowdown":\(slowdown),"scheduler":\(jsonString(scheduler)),"seed":\(seed),\
            "cycle":\(cycle),"profile_epochs":\(profileEpochs),"keep_model_versions":\(keepModelVersions),\
            "teacher":"\(teacher.rawValue)","label_error_rate":\(labelErrorRate),"stall_seconds":\(stallSeconds),\
            "tls":\(tls != nil),\(features.summaryJSON)}
            """
    }
}

/// The PEM files of a TLS listener.
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String

    /// Both paths or neither (nil); one alone is an error.
    public init?(certificate: String?, key: String?) throws {
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?):
            guard !certificate.isEmpty, !key.isEmpty else {
                throw ServiceError.invalidConfiguration("tls_cert and tls_key must be file paths, not empty")
            }
            self.certificate = certificate
            self.key = key
        default:
            throw ServiceError.invalidConfiguration(
                "TLS needs both a certificate (tls_cert, --tls-cert) and a private key (tls_key, --tls-key)"
            )
        }
    }
}

/// A request to add a stream (`POST /api/streams` and the config's `streams` objects).
public enum StreamRequest {
    /// A field that failed validation, and why.
    public struct Invalid: Error, Equatable {
        public var field: String
        public var message: String
    }

    static let keys = ["id", "scenario", "seed", "source"]

    /// Validates `{"id": "cam-1", "scenario": "weather", "seed": 7}` (seed optional).
    public static func parse(_ object: [String: Any], defaultSeed: UInt64) throws -> StreamSpec {
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw Invalid(field: unknown, message: "unknown field; known fields: id, scenario, seed, source")
        }
        guard let idValue = object["id"] else { throw Invalid(field: "id", message: "is required") }
        guard let id = idValue as? String, ServiceConfiguration.isValidStreamID(id) else {
            throw Invalid(
                field: "id",
                message: "must be 1–40 characters of a-z, 0-9, '-' or '_', starting with a letter or digit"
            )
        }
        guard let scenarioValue = object["scenario"] else { throw Invalid(field: "scenario", message: "is required") }
        guard let name = scenarioValue as? String, let scenario = ScenarioPreset(rawValue: name) else {
            let names = ScenarioPreset.allCases.map(\.rawValue).joined(separator: ", ")
            throw Invalid(field: "scenario", message: "must be one of \(names)")
        }
        var seed = defaultSeed
        if let value = object["seed"] {
            guard let number = jsonNumber(value), number.rounded() == number, number >= 0, number < 9.2e18 else {
                throw Invalid(field: "seed", message: "must be a non-negative integer")
            }
            seed = UInt64(number)
        }
        var source: String?
        if let value = object["source"] {
            guard let text = value as? String, !text.isEmpty else {
                throw Invalid(
                    field: "source",
                    message: "must be a path: a video file, a directory, or files joined by '+'"
                )
            }
            if let problem = videoSourceProblem(text) { throw Invalid(field: "source", message: problem) }
            source = text
        }
        return StreamSpec(id: id, scenario: scenario, seed: seed, source: source)
    }
}

/// Why a stream's video source cannot be used, or nil: one live URL (`rtsp`, `rtsps`, `http`, `https`,
/// `tcp`, `udp`, `rtp`, `srt`), or recordings: every part (split at `+`) an existing file or directory.
func videoSourceProblem(_ source: String) -> String? {
    if let separator = source.range(of: "://") {
        let scheme = source[..<separator.lowerBound].lowercased()
        guard ["rtsp", "rtsps", "http", "https", "tcp", "udp", "rtp", "srt"].contains(scheme) else {
            return "'\(source)': unsupported URL scheme '\(scheme)' (rtsp, rtsps, http, https, tcp, udp, rtp, srt)"
        }
        guard !source.contains("+"), !source[separator.upperBound...].isEmpty else {
            return "'\(source)': a live camera is one URL, not joined with '+' or empty"
        }
        return nil
    }
    for part in source.split(separator: "+", omittingEmptySubsequences: false).map(String.init) {
        guard !part.isEmpty else { return "has an empty part ('+' with nothing beside it)" }
        guard FileManager.default.fileExists(atPath: part) else { return "'\(part)': no such file or directory" }
    }
    return nil
}

/// The live runtime's mechanisms and training settings in a `serve` configuration: the keys and defaults of
/// `ekya run --config`, so every runtime option is reachable from both.
public struct RuntimeFeatures: Sendable, Equatable {
    public var servesProfiledModels = true
    public var refinesWithIdleCapacity = true
    public var servesImprovedEpochs = true
    public var profilesInBackground = true
    public var retrainsServingModel = true
    public var fullRateHeadroom = 1.5
    public var learningRate = 0.01
    public var optimizer = OptimizerKind.sgd
    public var policy = ReallocationPolicy.paper
    /// "small" (6 configurations) or "paper" (18).
    public var grid = "small"
    /// Which crops successive micro-profiling epochs train on (`fixed`: Ekya's sub-sample; `rotating`).
    public var profilingSubset = TrainingPlan.Subset.fixed
    /// The micro-profiler's accuracy predictor, as `ekya run`'s `predictor`.
    public var predictor = PredictorKind.optimusWork

    public init() {}

    static let keys = [
        "serve_profiled_models", "refine_with_idle_capacity", "serve_improved_epochs", "profile_in_background",
        "retrain_serving_model", "full_rate_headroom", "learning_rate", "optimizer", "policy", "grid",
        "profiling_subset", "predictor",
    ]

    static func parse(_ fields: JSONFields) throws -> RuntimeFeatures {
        var features = RuntimeFeatures()
        features.servesProfiledModels = try fields.bool("serve_profiled_models") ?? features.servesProfiledModels
        features.refinesWithIdleCapacity =
            try fields.bool("refine_with_idle_capacity") ?? features.refinesWithIdleCapacity
        features.servesImprovedEpochs = try fields.bool("serve_improved_epochs") ?? features.servesImprovedEpochs
        features.profilesInBackground = try fields.bool("profile_in_background") ?? features.profilesInBackground
        features.retrainsServingModel = try fields.bool("retrain_serving_model") ?? features.retrainsServingModel
        features.fullRateHeadroom = try fields.number("full_rate_headroom", in: 1...4) ?? features.fullRateHeadroom
        features.learningRate = try fields.number("learning_rate", in: 1e-6...10) ?? features.learningRate
        if let optimizer = try fields.string("optimizer") {
            guard let kind = OptimizerKind(rawValue: optimizer) else {
                throw fields.fail("field 'optimizer' must be \(OptimizerKind.choices), not '\(optimizer)'")
            }
            features.optimizer = kind
        }
        if let name = try fields.string("policy") {
            guard let policy = ReallocationPolicy(rawValue: name) else {
                let names = ReallocationPolicy.allCases.map(\.rawValue).joined(separator: ", ")
                throw fields.fail("field 'policy' must be one of \(names), not '\(name)'")
            }
            features.policy = policy
        }
        if let grid = try fields.string("grid") {
            guard RetrainingConfiguration.grid(named: grid) != nil else {
                throw fields.fail("field 'grid' must be 'small' or 'paper', not '\(grid)'")
            }
            features.grid = grid
        }
        if let subset = try fields.string("profiling_subset") {
            guard let kind = TrainingPlan.Subset(rawValue: subset) else {
                throw fields.fail("field 'profiling_subset' must be \(TrainingPlan.Subset.choices), not '\(subset)'")
            }
            features.profilingSubset = kind
        }
        if let predictor = try fields.string("predictor") {
            guard let kind = PredictorKind(rawValue: predictor) else {
                throw fields.fail("field 'predictor' must be \(PredictorKind.choices), not '\(predictor)'")
            }
            features.predictor = kind
        }
        return features
    }

    var summaryJSON: String {
        """
        "serve_profiled_models":\(servesProfiledModels),"refine_with_idle_capacity":\(refinesWithIdleCapacity),\
        "serve_improved_epochs":\(servesImprovedEpochs),"profile_in_background":\(profilesInBackground),\
        "retrain_serving_model":\(retrainsServingModel),"full_rate_headroom":\(fullRateHeadroom),\
        "learning_rate":\(learningRate),"optimizer":"\(optimizer.rawValue)","policy":"\(policy.rawValue)",\
        "grid":"\(grid)","profiling_subset":"\(profilingSubset.rawValue)",\
        "predictor":"\(predictor.rawValue)"
        """
    }
}

/// Typed access to a JSON object's fields with errors that name them.
struct JSONFields {
    let dictionary: [String: Any]
    let fail: (String) -> ServiceError

    init(_ dictionary: [String: Any], fail: @escaping (String) -> ServiceError) {
        self.dictionary = dictionary
        self.fail = fail
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = dictionary[key] else { return nil }
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else {
            throw fail("field '\(key)' must be true or false")
        }
        return number.boolValue
    }

    func string(_ key: String) throws -> String? {
        guard let value = dictionary[key] else { return nil }
        guard let string = value as? String else { throw fail("field '\(key)' must be a string") }
        return string
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = dictionary[key] else { return nil }
        guard let number = jsonNumber(value), range.contains(number) else {
            throw fail("field '\(key)' must be a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = dictionary[key] else { return nil }
        guard let number = jsonInteger(value), range.contains(number) else {
            throw fail("field '\(key)' must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }
}

/// A JSON number as `JSONSerialization` returns it, or nil for anything else, booleans included.
///
/// `value is Bool` cannot tell them apart: on Linux `NSNumber(0) is Bool` and `NSNumber(1) is Bool` are
/// true, so such a test rejects 0 and 1. A JSON boolean is the `NSNumber` whose Objective-C type is "c".
public func jsonNumber(_ value: Any) -> Double? {
    guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
    let double = number.doubleValue
    return double.isFinite ? double : nil
}

/// A JSON number that is an integer in `Int`'s range, or nil.
public func jsonInteger(_ value: Any) -> Int? {
    guard let number = jsonNumber(value), number.rounded() == number, abs(number) < 9.2e18 else { return nil }
    return Int(number)
}

func jsonString(_ text: String) -> String {
    guard let data = try? JSONEncoder().encode(text) else { return "\"\"" }
    return String(decoding: data, as: UTF8.self)
}
