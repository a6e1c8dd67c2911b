import ArgumentParser
import EkyaCore
import EkyaData
import EkyaML
import EkyaRuntime
import Foundation
import Testing

@testable import EkyaApp

@Suite struct RunConfigurationTests {
    @Test func aStreamIsAPresetOrAVideoCameraOnFilesPlayedInOrder() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["b.mp4", "a.avi"] {
            FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data([0]))
        }
        let clip = directory.appendingPathComponent("a.avi").path
        let text = """
            {"streams": ["stable", {"scenario": "weather", "source": "\(directory.path)"},
                        {"scenario": "day-night", "source": "\(clip)+\(clip)"}]}
            """
        let configuration = try RunConfiguration.parse(text, file: "c.json")
        #expect(configuration.streams.map(\.scenario) == ["stable", "weather", "day-night"])
        #expect(
            try configuration.streams.map { try $0.clips().map { ($0 as NSString).lastPathComponent } } == [
                [], ["a.avi", "b.mp4"], ["a.avi", "a.avi"],
            ]
        )
        #expect(try configuration.settings().scenarios == [.stable, .weather, .dayNight])
    }

    @Test func demoFlagsReachTheSameSettingsAsConfigKeys() throws {
        let rotating = try LiveOptions.parse(["--profiling-subset", "rotating", "--profile-epochs", "3"]).settings()
        #expect(rotating.profilingSubset == .rotating && rotating.profileEpochs == 3)
        #expect(try LiveOptions.parse([]).settings().profilingSubset == .fixed)
        #expect(throws: (any Error).self) { try LiveOptions.parse(["--profiling-subset", "random"]) }
    }

    @Test func parsesTheDocumentedSchema() throws {
        let text = """
            {"streams": ["stable", "class-shift"], "schedulers": ["thief", "uniform:all-4:50"], "windows": 2,
             "window_seconds": 30, "devices": 2, "slowdown": 5, "clock": "virtual", "policy": "own-stream",
             "crops_per_second": 12, "seed": 9, "optimizer": "adam", "learning_rate": 0.002,
             "label_error_rate": 0.1, "teacher": "model", "teacher_cache": "/tmp/teachers", "plot": "p.svg", "trace_out": "t.csv", "json": true,
             "serve_profiled_models": false, "predictor": "ekya-optimus", "grid": "paper",
             "refine_with_idle_capacity": false, "serve_improved_epochs": false,
             "profile_in_background": false, "retrain_serving_model": false, "full_rate_headroom": 2,
             "profile_epochs": 3, "profiling_subset": "rotating"}
            """
        let configuration = try RunConfiguration.parse(text, file: "c.json")
        let settings = try configuration.settings()
        #expect(settings.scenarios.map(\.rawValue) == ["stable", "class-shift"])
        #expect(settings.windows == 2 && settings.devices == 2 && settings.slowdown == 5)
        #expect(settings.policy == .ownStream && settings.optimizer == .adam && settings.seed == 9)
        #expect(settings.labelErrorRate == 0.1)
        #expect(settings.configurations.count == 18 && !settings.refinesWithIdleCapacity)
        #expect(!settings.servesImprovedEpochs && !settings.profilesInBackground && !settings.retrainsServingModel)
        #expect(!settings.servesProfiledModels && configuration.predictor == "ekya-optimus")
        #expect(
            try RunConfiguration.parse("{\"streams\": [\"stable\"]}", file: "d.json").settings().servesProfiledModels
        )
        #expect(
            try RunConfiguration.parse("{\"streams\": [\"stable\"]}", file: "d.json").settings().servesImprovedEpochs
        )
        #expect(
            try RunConfiguration.parse("{\"streams\": [\"stable\"]}", file: "d.json").settings().retrainsServingModel
        )
        #expect(settings.fullRateHeadroom == 2)
        #expect(settings.profileEpochs == 3 && settings.profilingSubset == .rotating)
        #expect(
            try RunConfiguration.parse("{\"streams\": [\"stable\"]}", file: "d.json").settings().profilingSubset
                == .fixed
        )
        #expect(
            try RunConfiguration.parse("{\"streams\": [\"stable\"]}", file: "d.json").settings().fullRateHeadroom
                == 1.5
        )
        #expect(settings.teacher == .model && configuration.teacherCache == "/tmp/teachers")
        #expect(configuration.schedulers == ["thief", "uniform:all-4:50"])
    }

    @Test(arguments: [
        ("[1, 2]", "c.json: the configuration must be a JSON object"),
        ("{\"streams\": [\"stable\"], \"windws\": 3}", "c.json: unknown key 'windws'"),
        ("{\"windows\": 3}", "c.json: missing required key 'streams'"),
        ("{\"streams\": \"stable\"}", "c.json: field 'streams' must be an array"),
        ("{\"streams\": [\"stable\"], \"windows\": \"four\"}", "c.json: field 'windows' must be a positive integer"),
        (
            "{\"streams\": [\"stable\"], \"profiling_subset\": \"random\"}",
            "c.json: field 'profiling_subset' must be 'fixed' or 'rotating'"
        ),
        ("{\"streams\": [\"stable\"], \"profile_epochs\": 1.5}", "field 'profile_epochs' must be a positive integer"),
        (
            "{\"streams\": [\"stable\"], \"serve_profiled_models\": \"yes\"}",
            "field 'serve_profiled_models' must be true or false"
        ),
        (
            "{\"streams\": [\"stable\"], \"serve_improved_epochs\": \"yes\"}",
            "field 'serve_improved_epochs' must be true or false"
        ),
        (
            "{\"streams\": [\"stable\"], \"profile_in_background\": 1}",
            "field 'profile_in_background' must be true or false"
        ),
        (
            "{\"streams\": [\"stable\"], \"retrain_serving_model\": \"no\"}",
            "field 'retrain_serving_model' must be true or false"
        ),
        (
            "{\"streams\": [\"stable\"], \"full_rate_headroom\": 0.5}",
            "field 'full_rate_headroom' must be a number in 1...4"
        ),
        (
            "{\"streams\": [\"stable\"], \"predictor\": \"crystal-ball\"}",
            "field 'predictor' must be 'ekya-optimus', 'optimus-all' or 'optimus-work'"
        ),
        ("{\"streams\": [\"volcano\"]}", "field 'streams': unknown scenario 'volcano'"),
        ("{\"streams\": [\"stable\"], \"schedulers\": [\"magic\"]}", "field 'schedulers': unknown scheduler 'magic'"),
        ("{\"streams\": [\"stable\"], \"clock\": \"sundial\"}", "field 'clock' must be 'wall' or 'virtual'"),
        ("{\"streams\": [\"stable\"], \"windows\": 0}", "field 'windows' must be a positive integer"),
        // Numbers that once crashed the process or failed only mid-run are rejected up front, naming the field.
        (
            "{\"streams\": [\"stable\"], \"window_seconds\": 1e300}",
            "field 'window_seconds' must be a number in 5...86400"
        ),
        (
            "{\"streams\": [\"stable\"], \"crops_per_second\": 1e300}",
            "field 'crops_per_second' must be a number in 1...1000"
        ),
        (
            "{\"streams\": [\"stable\"], \"window_seconds\": 5.4, \"crops_per_second\": 1e18}",
            "field 'crops_per_second' must be a number in 1...1000"
        ),
        (
            "{\"streams\": [\"stable\"], \"window_seconds\": 86400, \"crops_per_second\": 1000}",
            "field 'crops_per_second' × window_seconds must be at most 200000 crops per window"
        ),
        ("{\"streams\": [\"stable\"], \"slowdown\": 0}", "field 'slowdown' must be a number in 0.01...1000"),
        ("{\"streams\": [\"stable\"], \"learning_rate\": -1}", "field 'learning_rate' must be a number in 1e-06...10"),
        ("{\"streams\": [\"stable\"], \"windows\": 1.5}", "field 'windows' must be a positive integer"),
        ("{\"streams\": [\"stable\"], \"windows\": 1, \"windows\": 2}", "c.json: key 'windows' appears twice"),
        ("{\"streams\": [\"stable\"], \"windows\": 1e30}", "field 'windows' must be a positive integer"),
        ("{\"streams\": [\"stable\"], \"seed\": -1}", "field 'seed' must be a non-negative integer"),
        (
            "{\"streams\": [\"stable\"], \"plot\": \"/nonexistent/dir/run.svg\"}",
            "field 'plot': directory '/nonexistent/dir' does not exist"
        ),
        ("{\"streams\": [\"stable\"], \"trace_out\": \"/tmp\"}", "field 'trace_out': '/tmp' is a directory"),
        ("{\"streams\": [\"stable\"], \"teacher\": \"oracle\"}", "field 'teacher' must be 'ground-truth' or 'model'"),
        ("{\"streams\": [\"stable\"], \"grid\": \"huge\"}", "field 'grid' must be 'small' or 'paper'"),
        ("{\"streams\": [], \"windows\": 1}", "field 'streams' must not be empty"),
        ("{\"streams\": [\"stable\"", "c.json: not valid JSON"),
        (
            "{\"streams\": [{\"scenario\": \"weather\", \"source\": \"/nonexistent/cam.mp4\"}]}",
            "field 'streams[0].source': video source '/nonexistent/cam.mp4': no such file or directory"
        ),
        (
            "{\"streams\": [\"stable\", {\"scenario\": \"weather\", \"source\": \"rtsp://127.0.0.1/cam\"}]}",
            "field 'streams[1].source': stream source 'rtsp://127.0.0.1/cam': a live URL has no end to catalogue"
        ),
        ("{\"streams\": [{\"scenario\": \"volcano\", \"source\": \"/tmp\"}]}", "unknown scenario 'volcano'"),
        ("{\"streams\": [{\"source\": \"/tmp\"}]}", "missing required key 'streams[0].scenario'"),
    ])
    func badConfigurationsNameTheField(text: String, message: String) {
        #expect {
            try RunConfiguration.parse(text, file: "c.json")
        } throws: { error in
            String(describing: error).contains(message)
        }
    }
}

@Suite struct ProfileCommandTests {
    @Test(arguments: [
        ("all", ["stable", "day-night", "weather", "class-shift", "mixed"]),
        ("weather,class-shift", ["weather", "class-shift"]),
        ("day-night", ["day-night"]),
    ])
    func scenarioListsAndAllAreParsed(argument: String, expected: [String]) throws {
        #expect(try ProfileCommand.presets(argument).map(\.rawValue) == expected)
    }
}
