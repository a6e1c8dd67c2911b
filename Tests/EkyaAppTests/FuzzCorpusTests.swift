import EkyaApp
import Foundation
import Testing

/// Every committed fuzz input (seeds, and inputs that once crashed a parser) replays through its target
/// without a trap: the corpus is a regression suite that runs without libFuzzer.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    @Test(arguments: FuzzTarget.allCases)
    func theCorpusReplaysWithoutACrash(target: FuzzTarget) throws {
        let directory = Self.corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(!names.isEmpty, "no corpus for \(target.rawValue)")
        for name in names {
            let data = try #require(FileManager.default.contents(atPath: directory.appendingPathComponent(name).path))
            target.run(Array(data))
        }
    }
}
