import EkyaCore
import EkyaML
import EkyaRuntime
import Testing

@testable import EkyaService

@Suite struct ConfigurationTests {
    @Test func parsesAConfigurationFile() throws {
        let text = """
            {"listen": "0.0.0.0:9000", "token": "t", "data_dir": "/tmp/x",
             "streams": ["stable", {"id": "cam-2", "scenario": "weather", "seed": 7}], "window_seconds": 30}
            """
        let configuration = try ServiceConfiguration.parse(text, file: "c.json")
        #expect(configuration.host == "0.0.0.0" && configuration.port == 9000)
        #expect(configuration.streams.map(\.id) == ["stable", "cam-2"])
        #expect(configuration.streams.last?.seed == 7)
        #expect(configuration.windowSeconds == 30)
        #expect(configuration.teacher == .groundTruth && configuration.labelErrorRate == 0)
        let taught = try ServiceConfiguration.parse(
            #"{"token": "t", "data_dir": "/d", "teacher": "model", "label_error_rate": 0.1, "teacher_cache": "/c"}"#,
            file: "c.json"
        )
        #expect(taught.teacher == .model && taught.labelErrorRate == 0.1 && taught.teacherCache == "/c")
        #expect(taught.runtimeSettings.teacher == .model && taught.runtimeSettings.labelErrorRate == 0.1)
        #expect(taught.summaryJSON.contains(#""teacher":"model""#))
        // 0 and 1 are numbers, not booleans (on Linux `NSNumber(0 or 1) is Bool` is true).
        let ones = try ServiceConfiguration.parse(
            #"""
            {"token": "t", "data_dir": "/d", "devices": 1, "pause_seconds": 0, "seed": 0, "label_error_rate": 0,
             "cycle": 1, "keep_model_versions": 1, "profile_epochs": 1,
             "streams": [{"id": "a", "scenario": "stable", "seed": 1}, {"id": "b", "scenario": "weather", "seed": 0}]}
            """#,
            file: "c.json"
        )
        #expect(ones.devices == 1 && ones.pauseSeconds == 0 && ones.seed == 0 && ones.labelErrorRate == 0)
        #expect(ones.cycle == 1 && ones.keepModelVersions == 1 && ones.profileEpochs == 1)
        #expect(ones.streams.map(\.seed) == [1, 0])
        // Every runtime option of `ekya run` is reachable from a serve configuration too.
        let features = try ServiceConfiguration.parse(
            #"""
            {"token": "t", "data_dir": "/d", "serve_profiled_models": false, "refine_with_idle_capacity": false,
             "serve_improved_epochs": false, "profile_in_background": false, "retrain_serving_model": false,
             "full_rate_headroom": 2, "learning_rate": 0.05, "optimizer": "adam", "policy": "own-stream",
             "grid": "paper", "profiling_subset": "rotating", "predictor": "ekya-optimus"}
            """#,
            file: "c.json"
        )
        #expect(features.features.predictor == .ekyaOptimus)
        let settings = features.runtimeSettings
        #expect(!settings.servesProfiledModels && !settings.refinesWithIdleCapacity && !settings.servesImprovedEpochs)
        #expect(!settings.profilesInBackground && !settings.retrainsServingModel)
        #expect(settings.fullRateHeadroom == 2 && settings.learningRate == 0.05 && settings.optimizer == .adam)
        #expect(settings.policy == .ownStream && settings.configurations.count == 18)
        #expect(features.runtimeSettings.profilingSubset == .rotating)
        #expect(
            try ServiceConfiguration.parse(#"{"token": "t", "data_dir": "/d"}"#, file: "c.json")
                .runtimeSettings.profilingSubset == .fixed
        )
        let secure = try ServiceConfiguration.parse(
            #"{"token": "t", "data_dir": "/d", "tls_cert": "c.pem", "tls_key": "k.pem", "stall_seconds": 30}"#,
            file: "c.json"
        )
        #expect(secure.tls == (try TLSFiles(certificate: "c.pem", key: "k.pem")))
        #expect(secure.stallSeconds == 30)
        #expect(try ServiceConfiguration.parse(#"{"token": "t", "data_dir": "/d"}"#, file: "c.json").tls == nil)
        let (host, port) = try ServiceConfiguration.parseListen("[::1]:8080")
        #expect(host == "::1" && port == 8080)
    }

    @Test(arguments: [
        (#"{"data_dir": "/d", "token": ""}"#, "c.json: field 'token' must be a non-empty string"),
        (#"{"token": "t"}"#, "c.json: field 'data_dir' is required"),
        (#"{"token": "t", "data_dir": "/d", "listen": "nowhere"}"#, "c.json: field 'listen'"),
        (#"{"token": "t", "data_dir": "/d", "colour": 1}"#, "c.json: unknown key 'colour'"),
        (#"{"token": "t", "data_dir": "/d", "window_seconds": 1}"#, "c.json: field 'window_seconds'"),
        (#"{"token": "t", "data_dir": "/d", "streams": ["rainbow"]}"#, "c.json: field 'streams[0]'"),
        (
            #"{"token": "t", "data_dir": "/d", "streams": [{"id": "a", "scenario": "stable", "x": 1}]}"#,
            "c.json: field 'streams[0].x'"
        ),
        ("[1]", "c.json: the configuration must be a JSON object"),
        (#"{"token": "t", "data_dir": "/d", "teacher": "oracle"}"#, "c.json: field 'teacher' must be"),
        (
            #"{"token": "t", "data_dir": "/d", "profiling_subset": "random"}"#,
            "c.json: field 'profiling_subset' must be 'fixed' or 'rotating'"
        ),
        (
            #"{"token": "t", "data_dir": "/d", "predictor": "oracle"}"#,
            "c.json: field 'predictor' must be 'ekya-optimus', 'optimus-all' or 'optimus-work', not 'oracle'"
        ),
        (#"{"token": "t", "data_dir": "/d", "store": "mysql://x/y"}"#, "c.json: field 'store'"),
        (#"{"token": "t", "data_dir": "/d", "node_id": "edge-1"}"#, "c.json: a node id needs a PostgreSQL store"),
        (
            #"{"token": "t", "data_dir": "/d", "store": "postgres://u@h/d", "node_id": "edge 1"}"#,
            "c.json: node id 'edge 1' must be 1 to 63 letters"
        ),
        (
            #"{"token": "t", "data_dir": "/d", "store": "postgres://u@h/d", "advertise": "ftp://h"}"#,
            "c.json: advertise must be an http:// or https:// URL"
        ),
        (#"{"token": "t", "data_dir": "/d", "lease_seconds": 1}"#, "c.json: field 'lease_seconds'"),
        (#"{"token": "t", "data_dir": "/d", "label_error_rate": 2}"#, "c.json: field 'label_error_rate'"),
        (#"{"token": "t", "data_dir": "/d", "devices": true}"#, "c.json: field 'devices' must be an integer"),
        (#"{"token": "t", "data_dir": "/d", "devices": 1, "devices": 2}"#, "c.json: key 'devices' appears twice"),
        (
            #"{"token": "t", "data_dir": "/d", "streams": [{"id": "a", "scenario": "stable", "id": "b"}]}"#,
            "c.json: key 'streams[0].id' appears twice"
        ),
        (
            #"{"token": "t", "data_dir": "/d", "serve_profiled_models": 1}"#,
            "c.json: field 'serve_profiled_models' must be true or false"
        ),
        (
            #"{"token": "t", "data_dir": "/d", "optimizer": "lbfgs"}"#,
            "c.json: field 'optimizer' must be 'sgd' or 'adam'"
        ),
        (#"{"token": "t", "data_dir": "/d", "window_seconds": 1e300}"#, "c.json: field 'window_seconds'"),
        (#"{"token": "t", "data_dir": "/d", "crops_per_second": 1e300}"#, "c.json: field 'crops_per_second'"),
        (
            #"{"token": "t", "data_dir": "/d", "window_seconds": 86400, "crops_per_second": 1000}"#,
            "c.json: field 'crops_per_second' × window_seconds must be at most 200000"
        ),
        (#"{"token": "t", "data_dir": "/d", "scheduler": "bogus"}"#, "c.json: field 'scheduler': unknown scheduler"),
        (#"{"token": "t", "data_dir": "/d", "stall_seconds": 0}"#, "c.json: field 'stall_seconds'"),
        (#"{"token": "t", "data_dir": "/d", "tls_cert": "c.pem"}"#, "c.json: TLS needs both a certificate"),
        (#"{"token": "t", "data_dir": "/d", "tls_cert": "", "tls_key": "k"}"#, "c.json: tls_cert and tls_key must"),
    ])
    func namesTheFieldAtFault(text: String, message: String) {
        // (Duplicate keys are checked on the text, before the fields.)
        #expect {
            try ServiceConfiguration.parse(text, file: "c.json")
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}

@Suite struct DuplicateKeyTests {
    @Test(
        arguments: [
            (#"{"a": 1, "b": {"c": 2, "d": [1, {"e": 3}]}, "f": "a"}"#, nil),
            (#"{"a": 1, "a": 2}"#, "a"),
            (#"{"a": {"x": 1}, "b": {"x": 2}}"#, nil),
            (#"{"s": [{"k": 1}, {"k": 1, "k": 2}]}"#, "s[1].k"),
            (#"{"a \"q\" b": 1, "a \"q\" b": 2}"#, #"a \"q\" b"#),
            (#"["{\"a\":1,\"a\":2}"]"#, nil),
        ] as [(String, String?)]
    )
    func findsTheFirstKeyThatAppearsTwiceInOneObject(text: String, duplicate: String?) {
        #expect(firstDuplicateKey(in: text) == duplicate)
    }
}

@Suite struct StallTests {
    @Test func aPostgreSQLStoreMakesTheServerAFleetNodeNamedByNodeIDOrItsHost() throws {
        let named = try ServiceConfiguration.parse(
            #"{"token": "t", "data_dir": "/d", "store": "postgres://u@h/d", "node_id": "edge-1", "lease_seconds": 6}"#,
            file: "c.json"
        )
        #expect(named.fleetNodeID == "edge-1" && named.leaseSeconds == 6)
        #expect(named.advertisedAddress == "http://127.0.0.1:8080")
        let hosted = try ServiceConfiguration.parse(
            #"{"token": "t", "data_dir": "/d", "store": "postgres://u@h/d", "advertise": "http://ekya-0.ekya:8080"}"#,
            file: "c.json"
        )
        #expect(hosted.fleetNodeID?.isEmpty == false)
        #expect(hosted.advertisedAddress == "http://ekya-0.ekya:8080")
        #expect(try ServiceConfiguration.parse(#"{"token": "t", "data_dir": "/d"}"#, file: "c.json").fleetNodeID == nil)
    }

    @Test func aWindowIsStalledOnlyAfterStallSecondsWithoutProgress() {
        var state = LiveState()
        state.stallSeconds = 10
        let start = ContinuousClock.now
        state.lastProgress = start
        state.phase = .idle
        #expect(state.stalledSeconds(now: start + .seconds(60)) == nil)
        state.phase = .window
        #expect(state.stalledSeconds(now: start + .seconds(9)) == nil)
        #expect(state.stalledSeconds(now: start + .seconds(12)) == 12)
    }
}
