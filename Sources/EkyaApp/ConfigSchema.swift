import EkyaCore
import EkyaData
import EkyaML
import EkyaRuntime
import EkyaService
import Foundation

/// The JSON Schema of the configuration files of `ekya run --config` and `ekya serve --config`.
///
/// It is made from the code that parses them: their key lists, the runtime's ranges
/// (``RuntimeSettings/ranges``) and the enums' cases. Shipped as `docs/config.schema.json` (a test keeps the file and this in step); printed by
/// `ekya config-schema`.
enum ConfigSchema {
    /// What each key holds.
    static func property(_ key: String) -> [String: Any] {
        if let setting = RuntimeSetting(rawValue: key), let range = RuntimeSettings.ranges[setting] {
            let integral = [RuntimeSetting.windows, .devices, .profileEpochs].contains(setting)
            return ["type": integral ? "integer" : "number", "minimum": range.lowerBound, "maximum": range.upperBound]
        }
        let scenarios = ScenarioPreset.allCases.map(\.rawValue)
        switch key {
        case "serve_profiled_models", "refine_with_idle_capacity", "serve_improved_epochs", "profile_in_background",
            "retrain_serving_model", "json":
            return ["type": "boolean"]
        case "seed": return ["type": "integer", "minimum": 0]
        case "clock": return ["enum": ClockMode.allCases.map(\.rawValue)]
        case "policy": return ["enum": ReallocationPolicy.allCases.map(\.rawValue)]
        case "optimizer": return ["enum": ["sgd", "adam"]]
        case "teacher": return ["enum": TeacherKind.allCases.map(\.rawValue)]
        case "grid": return ["enum": ["small", "paper"]]
        case "predictor": return ["enum": PredictorKind.allCases.map(\.rawValue)]
        case "profiling_subset": return ["enum": TrainingPlan.Subset.allCases.map(\.rawValue)]
        case "pause_seconds": return ["type": "number", "minimum": 0, "maximum": 86_400]
        case "stall_seconds": return ["type": "number", "minimum": 1, "maximum": 86_400]
        case "advertise": return ["type": "string", "pattern": "^https?://.+$"]
        case "lease_seconds": return ["type": "number", "minimum": 2, "maximum": 3_600]
        case "node_id": return ["type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}$"]
        case "cycle": return ["type": "integer", "minimum": 1, "maximum": 10_000]
        case "keep_model_versions": return ["type": "integer", "minimum": 1, "maximum": 100_000]
        case "listen": return ["type": "string", "pattern": "^.+:[0-9]{1,5}$"]
        case "store": return ["type": "string", "pattern": "^(sqlite|sqlite:.+|postgres(ql)?://.+)$"]
        case "schedulers": return ["type": "array", "minItems": 1, "items": ["type": "string"]]
        case "streams":
            // A run stream is a preset name (Fashion-MNIST) or a video camera {"scenario", "source"}.
            return [
                "type": "array", "minItems": 1,
                "items": [
                    "oneOf": [
                        ["enum": scenarios],
                        [
                            "type": "object", "additionalProperties": false, "required": ["scenario"],
                            "properties": ["scenario": ["enum": scenarios], "source": ["type": "string"]],
                        ],
                    ]
                ],
            ]
        default: return ["type": "string"]
        }
    }

    static func object(keys: [String], required: [String], description: String) -> [String: Any] {
        var properties: [String: Any] = [:]
        for key in keys { properties[key] = property(key) }
        return [
            "type": "object", "description": description, "additionalProperties": false, "required": required,
            "properties": properties,
        ]
    }

    static var document: [String: Any] {
        var serve = object(
            keys: ServiceConfiguration.keys,
            required: ["data_dir"],
            description: "ekya serve --config FILE"
        )
        // A serve stream is a preset name or {"id", "scenario", "seed"}.
        if var properties = serve["properties"] as? [String: Any] {
            properties["streams"] = [
                "type": "array", "minItems": 1,
                "items": [
                    "oneOf": [
                        ["enum": ScenarioPreset.allCases.map(\.rawValue)],
                        [
                            "type": "object", "additionalProperties": false, "required": ["id", "scenario"],
                            "properties": [
                                "id": ["type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,39}$"],
                                "scenario": ["enum": ScenarioPreset.allCases.map(\.rawValue)],
                                "seed": ["type": "integer", "minimum": 0],
                                "source": ["type": "string", "minLength": 1],
                            ],
                        ],
                    ]
                ],
            ]
            serve["properties"] = properties
        }
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://github.com/ekya-swift/ekya/docs/config.schema.json",
            "title": "Ekya configuration files",
            "description":
                "A configuration of `ekya run --config` (a live run) or `ekya serve --config` (the service).",
            "oneOf": [["$ref": "#/$defs/run"], ["$ref": "#/$defs/serve"]],
            "$defs": [
                "run": object(
                    keys: RunConfiguration.CodingKeys.allCases.map(\.rawValue),
                    required: ["streams"],
                    description: "ekya run --config FILE"
                ),
                "serve": serve,
            ],
        ]
    }

    /// The schema as pretty-printed JSON with sorted keys and a final newline.
    static func text() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
