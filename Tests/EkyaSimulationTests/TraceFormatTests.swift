import EkyaCore
import EkyaSimulation
import Testing

@Suite struct TraceFormatTests {
    static let authorsHeader =
        "city,task_id,hp_id,epochs,accuracy_pred,runtime_pred,accuracy_actual,runtime_actual,"
        + "default_inference_acc_pred,default_inference_acc_actual"

    @Test func readsTheAuthorsTableWithMinimumStartAccuracy() throws {
        let text = """
            \(Self.authorsHeader)
            zurich,1,0,5,0.77,13.1,0.82,4.75,0.75,0.738
            zurich,1,0,15,0.83,38.7,0.85,12.7,0.75,0.70
            aachen,1,5,30,0.9,300,0.88,250,0.75,0.6
            """
        let trace = try TraceFormat.parse(text, file: "t.csv")
        #expect(trace.streams == ["zurich", "aachen"])
        let zurich = try #require(trace.profile(stream: "zurich", window: 1))
        #expect(zurich.startAccuracy == 0.70)
        #expect(zurich.configurations.map(\.name) == ["hp0-5", "hp0-15"])
        #expect(zurich.configurations[0].actual == RetrainingOutcome(endAccuracy: 0.82, gpuSeconds: 4.75))
        #expect(zurich.configurations[0].predicted == RetrainingOutcome(endAccuracy: 0.77, gpuSeconds: 13.1))
    }

    @Test func canonicalFormatRoundTrips() throws {
        let text = """
            \(Self.authorsHeader)
            zurich,1,0,5,0.77,13.1,0.82,4.75,0.75,0.738
            zurich,2,1,15,0.83,38.7,0.85,12.7,0.75,0.70
            """
        let trace = try TraceFormat.parse(text, file: "t.csv")
        let again = try TraceFormat.parse(TraceFormat.render(trace), file: "canonical.csv")
        #expect(again == trace)
    }

    @Test(arguments: [
        ("zurich,1,0,5,0.77,13.1,0.82,nan,0.75,0.7", "t.csv:2: runtime_actual 'nan' is not a finite number"),
        ("zurich,1,0,5,0.77,13.1,0.82,-4,0.75,0.7", "t.csv:2: runtime_actual -4.0 is a negative cost"),
        ("zurich,1,0,5,0.77,13.1,1.82,4,0.75,0.7", "t.csv:2: accuracy_actual 1.82 is not an accuracy in 0...1"),
        ("zurich,1,0,5,0.77", "t.csv:2: expected 10 fields, found 5"),
        ("zurich,one,0,5,0.77,13.1,0.82,4,0.75,0.7", "t.csv:2: task_id 'one' is not an integer"),
    ])
    func malformedRowsNameFileAndLine(row: String, message: String) {
        let text = "\(Self.authorsHeader)\n\(row)\n"
        #expect {
            try TraceFormat.parse(text, file: "t.csv")
        } throws: { error in
            String(describing: error) == message
        }
    }

    @Test func missingColumnsAndEmptyFilesAreReported() {
        #expect(throws: TraceError.missingColumns(file: "x.csv", columns: ["gpu_seconds"])) {
            try TraceFormat.parse("stream,window,config,start_accuracy,end_accuracy\n", file: "x.csv")
        }
        #expect(throws: TraceError.empty(file: "x.csv")) {
            try TraceFormat.parse("", file: "x.csv")
        }
        #expect(throws: TraceError.empty(file: "x.csv")) {
            try TraceFormat.parse(TraceFormat.canonicalHeader.joined(separator: ",") + "\n", file: "x.csv")
        }
    }

    @Test func unknownStreamsAreRejectedBeforeRunning() throws {
        let trace = try TraceFormat.parse(
            "\(Self.authorsHeader)\nzurich,1,0,5,0.77,13.1,0.82,4.75,0.75,0.738\n",
            file: "t.csv"
        )
        let experiment = Experiment(
            trace: trace,
            traceName: "t.csv",
            streamNames: ["zurich", "paris"],
            devices: [1],
            settings: SimulationSettings(timing: try WindowTiming(length: 200, labellingDelay: 2))
        )
        #expect(throws: TraceError.unknownStreams(file: "t.csv", names: ["paris"], known: ["zurich"])) {
            try experiment.validate()
        }
    }
}
