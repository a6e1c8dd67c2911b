import EkyaCore
import EkyaRuntime
import Foundation
import Testing

@testable import EkyaApp

@Suite struct RunConfigurationTests {
    @Test func parsesTheDocumentedSchema() throws {
        let text = """
            {"streams": ["stable", "class-shift"], "schedulers": ["thief", "uniform:all-4:50"], "windows": 2,
             "window_seconds": 30, "devices": 2, "slowdown": 5, "clock": "virtual", "policy": "own-stream",
             "crops_per_second": 12, "seed": 9, "optimizer": "adam", "learning_rate": 0.002,
             "label_error_rate": 0.1, "teacher": "model", "teacher_cache": "/tmp/teachers", "plot": "p.svg", "trace_out": "t.csv", "json": true,
             "serve_profiled_models": false, "predictor": "ekya-optimus", "grid": "paper",
             "refine_with_idle_capacity": false, "serve_improved_epochs": false,
             "profile_in_background": false, "retrain_serving_model": false, "full_rate_headroom": 2}
            """
        let configuration = try RunConfiguration.parse(text, file: "c.json")
        let settings = try configuration.settings()
        #expect(settings.scenarios.map(\.rawValue) == ["stable", "class-shift"])
        #expect(settings.windows == 2 && settings.devices == 2 && settings.slowdown == 5)
        #expect(settings.policy == .ownStream && settings.usesAdam && settings.seed == 9)
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
        ("{\"streams\": \"stable\"}", "c.json: field 'streams' must be a Array"),
        ("{\"streams\": [\"stable\"], \"windows\": \"four\"}", "c.json: field 'windows' must be a Int"),
        (
            "{\"streams\": [\"stable\"], \"serve_profiled_models\": \"yes\"}",
            "field 'serve_profiled_models' must be a Bool"
        ),
        (
            "{\"streams\": [\"stable\"], \"serve_improved_epochs\": \"yes\"}",
            "field 'serve_improved_epochs' must be a Bool"
        ),
        (
            "{\"streams\": [\"stable\"], \"profile_in_background\": 1}",
            "field 'profile_in_background' must be a Bool"
        ),
        (
            "{\"streams\": [\"stable\"], \"retrain_serving_model\": \"no\"}",
            "field 'retrain_serving_model' must be a Bool"
        ),
        (
            "{\"streams\": [\"stable\"], \"full_rate_headroom\": 0.5}",
            "field 'full_rate_headroom' must be in 1...4"
        ),
        ("{\"streams\": [\"stable\"], \"predictor\": \"crystal-ball\"}", "unknown predictor 'crystal-ball'"),
        ("{\"streams\": [\"volcano\"]}", "field 'streams': unknown scenario 'volcano'"),
        ("{\"streams\": [\"stable\"], \"schedulers\": [\"magic\"]}", "field 'schedulers': unknown scheduler 'magic'"),
        ("{\"streams\": [\"stable\"], \"clock\": \"sundial\"}", "field 'clock' must be 'wall' or 'virtual'"),
        ("{\"streams\": [\"stable\"], \"windows\": 0}", "field 'windows' must be ≥ 1"),
        ("{\"streams\": [\"stable\"], \"teacher\": \"oracle\"}", "field 'teacher' must be 'ground-truth' or 'model'"),
        ("{\"streams\": [\"stable\"], \"grid\": \"huge\"}", "field 'grid' must be 'small' or 'paper'"),
        ("{\"streams\": [], \"windows\": 1}", "field 'streams' must not be empty"),
        ("{\"streams\": [\"stable\"", "c.json: not valid JSON"),
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
