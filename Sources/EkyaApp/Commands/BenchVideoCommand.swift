import ArgumentParser
import EkyaCore
import EkyaData
import EkyaML
import EkyaVideo
import Foundation

/// `ekya bench video`: decoding throughput against the ffmpeg command on the same file, and the whole
/// per-frame path of a camera (decode, proposals, crops, edge-model inference).
struct BenchVideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Measure video decoding (vs ffmpeg, 1 thread) and the per-frame camera path in frames/s."
    )

    @Option(help: "The clip to measure (default: the embedded PETS 2009 clip).")
    var clip: String?

    @Option(help: "A second clip, H.264 (default: the embedded bikes.mp4).")
    var h264: String?

    @Option(help: "Runs of each measurement; the median is reported.")
    var repeats: Int = 3

    @Option(help: "The ffmpeg command.")
    var ffmpeg: String = "/usr/bin/ffmpeg"

    @Flag(help: "Print one JSON object.")
    var json: Bool = false

    struct Measurement {
        var frames: Int
        var seconds: [Double]
        var median: Double { seconds.sorted()[seconds.count / 2] }
        var fps: Double { Double(frames) / median }
        var spread: (Double, Double) {
            (Double(frames) / (seconds.max() ?? 1), Double(frames) / (seconds.min() ?? 1))
        }
    }

    func run() throws {
        guard (1...20).contains(repeats) else { throw ValidationError("--repeats must be in 1...20") }
        let main = clip ?? VideoClips.pets
        let second = h264 ?? VideoClips.bikes
        for path in [main, second] where !FileManager.default.isReadableFile(atPath: path) {
            throw AppError.invalidOption("cannot read '\(path)': run scripts/setup, or give --clip and --h264")
        }
        guard FileManager.default.isExecutableFile(atPath: ffmpeg) else {
            throw AppError.invalidOption("ffmpeg not found at '\(ffmpeg)' (Debian package ffmpeg, or --ffmpeg PATH)")
        }
        var rows: [(name: String, ours: Measurement, theirs: Measurement)] = []
        for path in [main, second] {
            let ours = try measure { try Self.decode(path) }
            let theirs = try measure { try Self.runFFmpeg(ffmpeg, path) }
            rows.append(((path as NSString).lastPathComponent, ours, theirs))
        }
        let pipeline = try measure { try Self.pipeline(main) }
        if json {
            let first = rows[0]
            let fields = [
                "\"clip\": \(jsonText(main))",
                "\"decode_fps\": \(String(format: "%.1f", first.ours.fps))",
                "\"ffmpeg_fps\": \(String(format: "%.1f", first.theirs.fps))",
                "\"decode_ratio\": \(String(format: "%.3f", first.ours.fps / first.theirs.fps))",
                "\"h264_decode_fps\": \(String(format: "%.1f", rows[1].ours.fps))",
                "\"h264_ffmpeg_fps\": \(String(format: "%.1f", rows[1].theirs.fps))",
                "\"h264_decode_ratio\": \(String(format: "%.3f", rows[1].ours.fps / rows[1].theirs.fps))",
                "\"pipeline_fps_per_stream\": \(String(format: "%.1f", pipeline.fps))",
                "\"cameras_at_10_fps_per_core\": \(String(format: "%.1f", pipeline.fps / 10))",
                "\"repeats\": \(repeats)",
            ]
            print("{\(fields.joined(separator: ", "))}")
            return
        }
        print("clip           frames  ours fps (min–max)       ffmpeg fps (min–max)     ratio")
        for row in rows {
            print(
                String(
                    format: "%-14@ %6d  %7.1f (%.1f–%.1f)  %7.1f (%.1f–%.1f)  %5.3f",
                    row.name as NSString,
                    row.ours.frames,
                    row.ours.fps,
                    row.ours.spread.0,
                    row.ours.spread.1,
                    row.theirs.fps,
                    row.theirs.spread.0,
                    row.theirs.spread.1,
                    row.ours.fps / row.theirs.fps
                )
            )
        }
        print(
            String(
                format:
                    "camera path (decode → proposals → crops → edge model), one thread: %.1f frames/s = %.1f cameras at 10 fps per core",
                pipeline.fps,
                pipeline.fps / 10
            )
        )
    }

    /// Runs `body` `repeats` times; it returns the frames it handled.
    func measure(_ body: () throws -> Int) throws -> Measurement {
        var seconds: [Double] = []
        var frames = 0
        for _ in 0..<repeats {
            let started = ContinuousClock.now
            frames = try body()
            seconds.append(started.duration(to: .now).inSeconds)
        }
        return Measurement(frames: frames, seconds: seconds)
    }

    /// Decodes every frame on one thread without converting it.
    static func decode(_ path: String) throws -> Int {
        let reader = try VideoReader(source: path, threads: 1)
        var frames = 0
        while try reader.skip() { frames += 1 }
        return frames
    }

    /// `ffmpeg -threads 1 -i FILE -f null -`: the same decoding by the reference tool; returns its frames.
    static func runFFmpeg(_ ffmpeg: String, _ path: String) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-hide_banner", "-nostdin", "-threads", "1", "-i", path, "-f", "null", "-"]
        let output = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw AppError.invalidOption("ffmpeg failed on '\(path)': \(text.suffix(300))")
        }
        // The last progress line says "frame=  795 …".
        let frames = text.components(separatedBy: "frame=").last.flatMap {
            Int($0.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber })
        }
        return frames ?? 0
    }

    /// The camera path on one thread: decode to grey, moving-blob proposals, 28×28 crops, edge-model
    /// inference on each frame's crops.
    static func pipeline(_ path: String) throws -> Int {
        let reader = try VideoReader(source: path, threads: 1)
        let model = try TorchModel(.small(inputChannels: 1, classCount: ObjectClass.allCases.count), seed: 1)
        try model.setThreads(1)
        var proposer = MotionProposer()
        var frames = 0
        while let frame = try reader.next() {
            frames += 1
            let boxes = proposer.propose(frame).map { $0.padded(by: 0.1, within: frame.width, frame.height) }
            guard !boxes.isEmpty else { continue }
            let pixels = boxes.flatMap { CropMaker.crop(frame, $0, side: CropBatch.side) }
            guard
                let batch = ImageBatch(
                    count: boxes.count,
                    channels: 1,
                    height: CropBatch.side,
                    width: CropBatch.side,
                    pixels: pixels
                )
            else { continue }
            _ = try model.predict(batch, batchSize: boxes.count)
        }
        return frames
    }
}
