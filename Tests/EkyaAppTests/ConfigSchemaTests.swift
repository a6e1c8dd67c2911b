import EkyaService
import Foundation
import Testing

@testable import EkyaApp

@Suite struct ConfigSchemaTests {
    @Test func theShippedSchemaIsTheOneTheCodeMakesAndCoversEveryKeyOfBothFiles() throws {
        // Given docs/config.schema.json and the schema made from the parsers' keys and the runtime's ranges
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/config.schema.json")
        let shipped = try String(contentsOf: docs, encoding: .utf8)
        // Then they are the same (regenerate with `ekya config-schema > docs/config.schema.json`)
        #expect(shipped == (try ConfigSchema.text()))
        // and every key either parser accepts is described, with nothing else allowed.
        let document = try #require(try JSONSerialization.jsonObject(with: Data(shipped.utf8)) as? [String: Any])
        let definitions = try #require(document["$defs"] as? [String: [String: Any]])
        let run = try #require(definitions["run"]?["properties"] as? [String: Any])
        let serve = try #require(definitions["serve"]?["properties"] as? [String: Any])
        #expect(Set(run.keys) == Set(RunConfiguration.CodingKeys.allCases.map(\.rawValue)))
        #expect(Set(serve.keys) == Set(ServiceConfiguration.keys))
        #expect(definitions.values.allSatisfy { $0["additionalProperties"] as? Bool == false })
        let windowSeconds = try #require(run["window_seconds"] as? [String: Any])
        #expect(windowSeconds["maximum"] as? Double == 86_400)
    }
}
