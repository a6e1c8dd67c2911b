import EkyaCore
import EkyaData

/// A real camera as a stream of object crops: the moving objects of one or more clips (played in order,
/// looping: a second clip is a scene change), labelled by the teacher, seen under a drift preset's
/// weather and light.
///
/// Each window holds exactly `configuration.cropsPerWindow` crops, taken evenly from the labelled objects
/// of the frames the window covers, arriving at the stream's crop rate in frame order. The preset's
/// covariate corruptions (night, fog, rain, motion blur, compression, occlusion) are applied to every
/// crop with the window's severities, and the camera shakes a little each window (pan and zoom jitter of
/// the crop box), all reproducible from the seed. The teacher labels the clean frames: it stands for
/// the golden model, which the drift does not fool.
public struct VideoStream: WindowedCropStream {
    public let catalogues: [VideoCatalogue]
    public let schedule: DriftSchedule
    public let configuration: StreamConfiguration
    /// The largest pan, as a fraction of the box, of the per-window camera jitter.
    public var cameraShift: Double = 0.08

    public init(
        catalogues: [VideoCatalogue],
        scenario: ScenarioPreset,
        windowCount: Int,
        configuration: StreamConfiguration
    ) throws(DataError) {
        guard !catalogues.isEmpty, catalogues.allSatisfy({ !$0.frames.isEmpty && $0.info.framesPerSecond > 0 }) else {
            throw .invalidConfiguration("a video stream needs at least one clip with labelled frames and a frame rate")
        }
        self.catalogues = catalogues
        self.schedule = try scenario.schedule(windowCount: windowCount, classCount: 10, seed: configuration.seed)
        self.configuration = configuration
    }

    public var classCount: Int { ObjectClass.allCases.count }
    public var windowCount: Int { schedule.windows.count }

    /// Seconds of video the clips hold together (one loop).
    public var loopSeconds: Double {
        catalogues.map { Double($0.frameCount) / $0.info.framesPerSecond }.reduce(0, +)
    }

    struct Candidate {
        var clip: Int
        var frame: Int
        var object: Int
    }

    /// The labelled objects of the frames window `index` covers, in frame order.
    func candidates(in index: Int) -> [Candidate] {
        let length = configuration.windowDuration.inSeconds
        let loop = loopSeconds
        let start = Double(index) * length
        let end = start + length
        var found: [Candidate] = []
        var loopStart = (start / loop).rounded(.down) * loop
        while loopStart < end {
            var clipStart = loopStart
            for (clip, catalogue) in catalogues.enumerated() {
                for (frame, entry) in catalogue.frames.enumerated() {
                    let time = clipStart + entry.timestamp
                    guard time >= start, time < end else { continue }
                    for object in entry.objects.indices {
                        found.append(Candidate(clip: clip, frame: frame, object: object))
                    }
                }
                clipStart += Double(catalogue.frameCount) / catalogue.info.framesPerSecond
            }
            loopStart += loop
        }
        return found
    }

    public func window(_ index: Int) -> StreamWindow {
        precondition((0..<windowCount).contains(index), "window \(index) is outside 0..<\(windowCount)")
        let state = schedule.windows[index]
        let cropCount = configuration.cropsPerWindow
        let start = configuration.windowDuration * index
        var generator = SeededGenerator(seed: configuration.seed, 0x0056_1DE0, index)
        var crops = WindowCrops(configuration: configuration, index: index, drift: state, using: &generator)
        // This window's camera jitter: a pan and a zoom of the crop boxes.
        let panX = (Double(generator.nextUnitFloat()) * 2 - 1) * cameraShift
        let panY = (Double(generator.nextUnitFloat()) * 2 - 1) * cameraShift
        let zoom = 1 + (Double(generator.nextUnitFloat()) * 2 - 1) * cameraShift
        let candidates = candidates(in: index)
        var counts = [Double](repeating: 0, count: classCount)
        // The frames the teacher labels: those the window's training crops come from.
        var labelledFrames = Set<[Int]>()
        let interval = configuration.windowDuration / max(1, cropCount)
        for position in 0..<cropCount where !candidates.isEmpty {
            let candidate = candidates[position * candidates.count / cropCount]
            let entry = catalogues[candidate.clip].frames[candidate.frame]
            let object = entry.objects[candidate.object]
            let scale = Double(catalogues[candidate.clip].downscale)
            let width = Double(object.box.width) / scale * zoom
            let height = Double(object.box.height) / scale * zoom
            let centreX = (Double(object.box.x) + Double(object.box.width) / 2) / scale + panX * width
            let centreY = (Double(object.box.y) + Double(object.box.height) / 2) / scale + panY * height
            let box = Box(
                x: Int((centreX - width / 2).rounded()),
                y: Int((centreY - height / 2).rounded()),
                width: max(2, Int(width.rounded())),
                height: max(2, Int(height.rounded()))
            )
            let label = object.label.rawValue
            counts[label] += 1
            let trains = crops.add(
                CropMaker.crop(entry.image, box, side: CropBatch.side),
                label: label,
                position: position,
                timestamp: start + interval * position,
                sourceID: (candidate.clip << 40) | (entry.index << 8) | candidate.object
            )
            if trains { labelledFrames.insert([candidate.clip, candidate.frame]) }
        }
        let mix = counts.map { $0 + 1e-6 }
        let drift =
            (try? DriftState(
                covariate: state.covariate,
                classMix: mix,
                appearance: Array(repeating: .original, count: classCount)
            )) ?? state
        var window = StreamWindow(index: index, start: start, drift: drift, train: crops.train, test: crops.test)
        // Summed clip by clip, in clip order, so the same window always costs the same to the last bit.
        window.teacherSeconds = catalogues.indices.reduce(0.0) { total, clip in
            total + Double(labelledFrames.filter { $0[0] == clip }.count) * catalogues[clip].teacherSecondsPerFrame
        }
        return window
    }
}
