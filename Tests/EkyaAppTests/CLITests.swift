import EkyaML
import EkyaVideo
import Foundation
import Testing

/// Runs the built `ekya` binary and checks its output and exit status.
enum CLI {
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static var executable: URL {
        // The test bundle sits next to the products of the same build.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("ekya")
    }

    /// Runs `ekya` (or `program`) to its end, capturing both outputs.
    static func run(_ arguments: [String], program: URL = executable) throws -> Result {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self)
        )
    }

    /// Runs a system tool (such as `mount`) to its end; returns its exit status.
    static func tool(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite(.timeLimit(.minutes(10))) struct SimulateCLITests {
    static let header =
        "city,task_id,hp_id,epochs,accuracy_pred,runtime_pred,accuracy_actual,runtime_actual,"
        + "default_inference_acc_pred,default_inference_acc_actual"

    @Test func simulatesTheEmbeddedTraceAndWritesCSVAndPlot() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = directory.appendingPathComponent("out.csv").path
        let svg = directory.appendingPathComponent("out.svg").path
        let result = try CLI.run([
            "simulate", "--stream-names", "zurich,aachen,bochum", "--stream-counts", "2,3", "--gpus", "1,2",
            "--schedulers", "thief,optimal,uniform:hp5-15:50,inference-only", "--csv", csv, "--plot", svg,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("streams  gpus  thief  optimal"))
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "scheduler,streams,gpus,window,mean_accuracy,decision_ms")
        // 4 schedulers × 2 stream counts × 2 device counts × 3 windows
        #expect(rows.count == 1 + 4 * 2 * 2 * 3)
        let plot = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(plot.hasPrefix("<svg"))
        #expect(plot.contains("polyline"))
    }

    @Test func everyFixedBaselineIsCountedPerCellNotOnlyTheBestInHindsight() throws {
        // Two streams on one GPU, planning with predictions: `ekya` is above the best of the 54 fixed splits
        // (85.5 vs 85.4), and so at or above every one of them; never retraining (73.7) is not
        let result = try CLI.run([
            "simulate", "--stream-counts", "2", "--gpus", "1", "--profiles", "predicted",
            "--schedulers", "ekya,inference-only,uniform-grid",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains("ekya: at or above 54 of 54 fixed baselines, per cell"))
        let line = try #require(lines.first { $0.hasPrefix("inference-only: at or above ") })
        let matched = try #require(Int(line.split(separator: " ")[4]))
        #expect((1..<54).contains(matched), "\(line)")
    }

    @Test(arguments: [
        (["--stream-names", "zurich,paris"], "stream(s) paris not in"),
        (["--schedulers", "thief,fastest"], "unknown scheduler 'fastest'"),
        (["--schedulers", "uniform:hp5-15"], "expected uniform:<config>:<inference%>"),
        (["--gpus", "0"], "'0' is not a positive integer"),
        (["--delta", "0.3"], "quantum Δ = 0.3"),
        (["--policy", "greedy"], "unknown re-allocation policy 'greedy'"),
        (["--profiles", "psychic"], "provide one of 'oracle', 'predicted' or 'predicted-accuracy'"),
        (["--placement", "scattered"], "provide one of 'devices' and 'pooled'"),
        (["--trace", "/nonexistent/trace.csv"], "cannot read '/nonexistent/trace.csv': no such file"),
        (["--stream-counts", "9"], "stream count 9 must be between 1 and the 6 stream names given"),
    ])
    func badOptionsFailWithAClearMessage(arguments: [String], message: String) throws {
        let result = try CLI.run(["simulate", "--gpus", "1"] + arguments)
        #expect(result.status != 0)
        #expect(result.standardError.contains(message), "stderr: \(result.standardError)")
    }

    @Test(arguments: [
        ("zurich,1,0,5,0.77,13.1,0.82,nan,0.75,0.7", ":3: runtime_actual 'nan' is not a finite number"),
        ("zurich,1,0,5,0.77,13.1,0.82,-4,0.75,0.7", ":3: runtime_actual -4.0 is a negative cost"),
        ("zurich,1,0,5,0.77,13.1", ":3: expected 10 fields, found 6"),
    ])
    func malformedTraceRowsNameFileAndLine(row: String, message: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = directory.appendingPathComponent("bad.csv").path
        let csv = directory.appendingPathComponent("out.csv").path
        let text = "\(Self.header)\nzurich,1,0,15,0.8,30,0.85,12,0.75,0.7\n\(row)\n"
        try text.write(toFile: trace, atomically: true, encoding: .utf8)
        let result = try CLI.run(["simulate", "--trace", trace, "--gpus", "1", "--csv", csv])
        #expect(result.status != 0)
        #expect(result.standardError.contains("\(trace)\(message)"), "stderr: \(result.standardError)")
        // Nothing half-written.
        #expect(!FileManager.default.fileExists(atPath: csv))
    }

    @Test func unwritableOutputIsReportedAndLeavesNothing() throws {
        let result = try CLI.run([
            "simulate", "--gpus", "1", "--stream-counts", "2", "--csv", "/nonexistent-dir/out.csv",
        ])
        #expect(result.status != 0)
        #expect(result.standardError.contains("directory '/nonexistent-dir' does not exist"))
    }

    @Test func predictedProfilesNeedPredictions() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = directory.appendingPathComponent("canonical.csv").path
        try "stream,window,config,start_accuracy,end_accuracy,gpu_seconds\ncam,1,a,0.5,0.7,20\n".write(
            toFile: trace,
            atomically: true,
            encoding: .utf8
        )
        let oracle = try CLI.run(["simulate", "--trace", trace, "--gpus", "1", "--schedulers", "thief"])
        #expect(oracle.status == 0, "\(oracle.standardError)")
        let predicted = try CLI.run([
            "simulate", "--trace", trace, "--gpus", "1", "--schedulers", "thief", "--profiles", "predicted",
        ])
        #expect(predicted.status != 0)
        #expect(predicted.standardError.contains("--profiles predicted needs predicted accuracy and cost"))
    }

    @Test func benchSchedulerPrintsTheDocumentedJSONKeys() throws {
        let result = try CLI.run(["bench", "scheduler", "--json", "--runs", "5"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        for key in ["thief_ms_10x8", "thief_sco_ms_10x8", "optimal_ms_10x8", "optimal_ms_200x32"] {
            #expect((object?[key] as? Double).map { $0 > 0 } == true, "missing \(key)")
        }
    }

    @Test func benchFleetPrintsTheDocumentedJSONKeysAndNoStreamHasTwoOwners() throws {
        let result = try CLI.run(["bench", "fleet", "--json", "--runs", "1", "--windows", "5", "--streams", "12"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        #expect((object?["assign_ms_1000x10000"] as? Double).map { $0 > 0 } == true)
        #expect(object?["assigned_1000x10000"] as? Int == 10_000)
        #expect((object?["fleet_vs_pooled_points"] as? Double).map { (-100...100).contains($0) } == true)
        #expect((object?["streams_moved_per_failure"] as? Double).map { $0 >= 1 } == true)
        #expect(object?["double_ownership"] as? Int == 0)
        let bad = try CLI.run(["bench", "fleet", "--nodes", "1"])
        #expect(bad.status != 0 && bad.standardError.contains("--nodes ≥ 2"))
    }

    static let videoAvailable = VideoClips.available

    @Test(.enabled(if: videoAvailable, "scripts/setup fetches the clips"))
    func benchVideoPrintsDecodingAgainstFFmpegAndTheCameraPath() throws {
        let result = try CLI.run(["bench", "video", "--json", "--repeats", "1"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        for key in ["decode_fps", "ffmpeg_fps", "pipeline_fps_per_stream", "h264_decode_fps", "h264_ffmpeg_fps"] {
            #expect((object?[key] as? Double).map { $0 > 0 } == true, "missing \(key)")
        }
        let missing = try CLI.run(["bench", "video", "--clip", "/nonexistent.avi"])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("cannot read '/nonexistent.avi'"))
    }

    @Test(.enabled(if: videoAvailable, "scripts/setup fetches the clips"))
    func theDemoRunsOnTheVideoCamerasAndNamesEachSource() throws {
        // Given the default demo (video) with a sparse teacher, one short window, Ekya against a fixed split
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run([
            "demo", "--windows", "1", "--window-seconds", "20", "--teacher-stride", "40", "--compare",
            "--baselines", "uniform:head-4:50", "--json", "--plot", directory.appendingPathComponent("p.svg").path,
        ])
        #expect(result.status == 0, "\(result.standardError.suffix(2000))")
        // It says where its models compute (--device auto: the CPU on a libtorch without CUDA)
        #expect(result.standardError.contains(LibTorch.isCUDAAvailable ? "device: cuda:0" : "device: cpu"))
        let line = result.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        // Then the four cameras are listed with their clips, and the keys of the comparison are there
        let streams = try #require(object["streams"] as? [[String: String]])
        #expect(streams.count == 4)
        #expect(streams.allSatisfy { $0["source"]?.contains("vtest.avi") == true })
        #expect(streams.contains { $0["source"]?.contains("bikes.mp4") == true })
        for key in ["ekya_mean_accuracy", "best_uniform_mean_accuracy", "max_share_error", "mean_prediction_error"] {
            #expect(object[key] is Double, "missing \(key)")
        }
        #expect((object["ekya_mean_accuracy"] as? Double ?? 0) > 0.5)
        #expect(object["best_uniform_name"] as? String == "uniform:head-4:50")
        // and the model teacher is refused for video, whose labels are its detector's
        let teacher = try CLI.run(["demo", "--teacher", "model", "--windows", "1", "--teacher-stride", "40"])
        #expect(teacher.status != 0)
        #expect(teacher.standardError.contains("video streams are labelled by their detector"))
    }
}

@Suite(.timeLimit(.minutes(10))) struct CurveCLITests {
    @Test func printsOneLinePerEpochCountWithSixDecimals() throws {
        let result = try CLI.run(["curve", "--start", "0.80", "--observed", "5:0.80", "--predict", "5,15,30"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        // Spec §4 check vector (0.80, 0.80 → 0.829333, 0.882902, 0.937724), within 0.01.
        for (line, (epochs, expected)) in zip(lines, [("5", 0.829333), ("15", 0.882902), ("30", 0.937724)]) {
            let fields = line.split(separator: " ")
            #expect(fields.count == 2 && fields[0] == epochs)
            #expect(fields[1].split(separator: ".").last?.count == 6)
            #expect(abs((Double(fields[1]) ?? 0) - expected) < 0.01)
        }
    }

    @Test(arguments: [
        (["--start", "1.5", "--observed", "5:0.8", "--predict", "5"], "--start must be an accuracy"),
        (["--start", "0.5", "--observed", "5-0.8", "--predict", "5"], "'5-0.8' is not epochs:accuracy"),
        (["--start", "0.5", "--observed", "5:0.8", "--predict", "x"], "'x' is not a non-negative number"),
        (
            ["--start", "0.5", "--observed", "5:0.8", "--predict", "5", "--predictor", "oracle"],
            "provide one of 'ekya-optimus', 'optimus-all' or 'optimus-work'"
        ),
    ])
    func badInputFailsClearly(arguments: [String], message: String) throws {
        let result = try CLI.run(["curve"] + arguments)
        #expect(result.status != 0)
        #expect(result.standardError.contains(message), "stderr: \(result.standardError)")
    }
}

@Suite(.timeLimit(.minutes(10))) struct LiveCLITests {
    @Test(arguments: [
        (["demo", "--clock", "sundial"], "The value 'sundial' is invalid for '--clock <clock>'"),
        (["demo", "--device", "quantum"], "The value 'quantum' is invalid for '--device <device>'"),
        (["serve", "--demo", "--device", "cuda:x"], "The value 'cuda:x' is invalid for '--device <device>'"),
        (["demo", "--streams", "stable,volcano"], "volcano"),
        (["demo", "--optimizer", "lbfgs"], "The value 'lbfgs' is invalid for '--optimizer <optimizer>'"),
        (["demo", "--policy", "greedy"], "unknown re-allocation policy 'greedy'"),
        (["demo", "--scheduler", "fastest", "--windows", "1"], "unknown scheduler 'fastest'"),
        (
            ["demo", "--scheduler", "ekya+bogus", "--windows", "1"],
            "scheduler 'ekya+bogus' is malformed: unknown feature 'bogus'"
        ),
        (
            ["profile", "--profiling-subset", "shuffled"],
            "The value 'shuffled' is invalid for '--profiling-subset <profiling-subset>'"
        ),
        (["profile", "--windows", "3-1"], "--windows must look like 1-3"),
        (["profile", "--predictors", "crystal-ball"], "unknown predictor 'crystal-ball'"),
        (["profile", "--scenario", "volcano"], "volcano"),
        (["profile", "--scenario", "weather,volcano"], "volcano"),
        (["profile", "--profile-fraction", "0"], "--profile-fraction must be in (0, 1]"),
        (["profile", "--seed", "1,two"], "--seed must be a number or a comma-separated list"),
        (["profile", "--crops-per-second", "0"], "--crops-per-second must be in 2...200"),
        (["profile", "--grid", "huge"], "--grid must be 'small' (6 configurations) or 'paper' (18)"),
        (["demo", "--profile-fraction", "1.5"], "--profile-fraction must be a number in 0.01...1"),
        (["demo", "--prune-fraction", "1"], "--prune-fraction must be a number in 0...0.9"),
        (["demo", "--grid", "huge"], "--grid must be 'small' (6 configurations) or 'paper' (18)"),
        (
            ["demo", "--predictor", "crystal-ball", "--windows", "1"],
            "The value 'crystal-ball' is invalid for '--predictor"
        ),
        (["demo", "--teacher", "oracle"], "The value 'oracle' is invalid for '--teacher <teacher>'"),
        (["demo", "--label-error-rate", "2"], "--label-error-rate must be a number in 0...1"),
        (["demo", "--full-rate-headroom", "0.5"], "--full-rate-headroom must be a number in 1...4"),
        (["demo", "--window-seconds", "inf"], "--window-seconds must be a number in 5...86400"),
        (["demo", "--crops-per-second", "1e300"], "--crops-per-second must be a number in 1...1000"),
        (["demo", "--slowdown", "nan"], "--slowdown must be a number in 0.01...1000"),
        (["simulate", "--schedulers", "ekya+pool=2"], "pool needs a number in 0.0...1.0"),
    ])
    func badInputFailsClearly(arguments: [String], message: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status != 0)
        #expect(result.standardError.contains(message), "stderr: \(result.standardError)")
    }

    @Test func dataScenariosListsThePresets() throws {
        let result = try CLI.run(["data", "scenarios"])
        #expect(result.status == 0, "\(result.standardError)")
        let names = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(names == ["stable", "day-night", "weather", "class-shift", "mixed"])
    }
}

@Suite(.timeLimit(.minutes(10))) struct RealProfileTraceTests {
    /// The micro-profiler's verified profiles of real training (committed by `ekya profile --trace-out`):
    /// the 6-configuration grid, and the paper's 18 (`--grid paper`).
    static func trace(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/\(name)").path
    }

    @Test(arguments: ["oracle", "predicted"], ["fashion-mnist-profiles.csv", "fashion-mnist-profiles-18.csv"])
    func ourRealProfilesReplayThroughTheSimulator(profiles: String, file: String) throws {
        let result = try CLI.run([
            "simulate", "--trace", Self.trace(file), "--gpus", "1,2", "--window", "60", "--profiles", profiles,
            "--schedulers", "thief,optimal,ekya,inference-only",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("streams  gpus  thief  optimal  ekya  inference-only"))
        #expect(result.standardOutput.split(separator: "\n").count >= 5)
    }

    @Test func thePaperGridTraceHoldsEighteenConfigurationsPerStreamWindow() throws {
        let text = try String(contentsOfFile: Self.trace("fashion-mnist-profiles-18.csv"), encoding: .utf8)
        var configurations: [String: Set<String>] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            configurations["\(fields[0]) \(fields[1])", default: []].insert(fields[2])
        }
        #expect(configurations.count == 9)
        #expect(configurations.values.allSatisfy { $0.count == 18 })
    }
}

@Suite(.timeLimit(.minutes(10))) struct RunCLITests {
    @Test func badConfigurationFileFailsWithTheField() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("run.json").path
        try "{\"streams\": [\"stable\"], \"devices\": \"many\"}".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CLI.run(["run", "--config", path])
        #expect(result.status != 0)
        #expect(
            result.standardError.contains("\(path): field 'devices' must be a positive integer"),
            "\(result.standardError)"
        )
        let missing = try CLI.run(["run", "--config", "/nonexistent/run.json"])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("cannot read '/nonexistent/run.json': no such file"))
    }
}

@Suite(.timeLimit(.minutes(10))) struct DeviceCLITests {
    @Test(.enabled(if: !LibTorch.isCUDAAvailable, "this libtorch has CUDA"))
    func askingForCUDAWithoutItFailsClearlyBeforeAnyWork() throws {
        let result = try CLI.run(["demo", "--device", "cuda", "--source", "fashion", "--windows", "1"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--device cuda:0: libtorch"), "\(result.standardError)")
        #expect(result.standardError.contains("sees no CUDA device"))
        #expect(result.standardOutput.isEmpty)
    }
}
