import EkyaCore
import EkyaData
import Foundation
import Synchronization

/// A network camera (`rtsp://`, `tcp://`, `udp://`, `http://`…) read live.
///
/// An ingest thread decodes every frame as it arrives and runs the motion proposer on it; a teacher thread
/// runs the HOG people detector on the newest proposed frame whenever it is free (the detector takes about
/// a second a frame, so it samples the stream instead of falling behind it). Labelled objects wait in a
/// bounded buffer; each window takes the ones that arrived since the previous window (and, when too few
/// did, the most recent earlier ones again), under the drift preset's corruptions for that window.
/// A source that stalls for `timeout` seconds or ends is reopened with exponential back-off (0.5 s
/// doubling to `maximumBackoff`); meanwhile it is `disconnected` and the windows replay the newest
/// objects it had. The teacher's measured compute per window is charged as `teacherSeconds`.
public final class LiveVideoStream: WindowedCropStream, LiveSourceReporting {
    struct Sample {
        var crop: [Float]
        var label: Int
        var sourceID: Int
    }

    struct State {
        var status = LiveSourceStatus(
            connection: .connecting,
            reason: nil,
            framesReceived: 0,
            reconnects: 0,
            bufferedObjects: 0
        )
        var fresh: [Sample] = []
        var recent: [Sample] = []
        var teacherSeconds = 0.0
        var pending: (frame: VideoFrame, blobs: [Box])?
        var stopped = false
    }

    public let source: String
    public let schedule: DriftSchedule
    public let configuration: StreamConfiguration
    public let timeout: Double
    public let maximumBackoff: Double
    let detector: PeopleDetector
    let capacity: Int
    private let state = Mutex(State())
    private let wake = NSCondition()

    /// Starts ingesting `url`; nothing blocks here (see ``waitForObjects(_:within:)``).
    public init(
        url: String,
        scenario: ScenarioPreset,
        windowCount: Int,
        configuration: StreamConfiguration,
        detector: PeopleDetector = PeopleDetector(),
        timeout: Double = 5,
        maximumBackoff: Double = 8
    ) throws(DataError) {
        self.source = url
        self.schedule = try scenario.schedule(windowCount: windowCount, classCount: 10, seed: configuration.seed)
        self.configuration = configuration
        self.detector = detector
        self.timeout = timeout
        self.maximumBackoff = maximumBackoff
        self.capacity = max(64, 4 * configuration.cropsPerWindow)
        let ingest = Thread { [self] in ingestLoop() }
        ingest.name = "ekya-live-ingest"
        ingest.start()
        let teacher = Thread { [self] in teacherLoop() }
        teacher.name = "ekya-live-teacher"
        teacher.start()
    }

    public var classCount: Int { 10 }

    public var liveStatus: LiveSourceStatus { state.withLock { $0.status } }

    public func stop() {
        state.withLock { $0.stopped = true }
        wake.broadcast()
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Waits until `count` labelled objects arrived or `seconds` passed; the number buffered.
    public func waitForObjects(_ count: Int, within seconds: Double) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let buffered = state.withLock { $0.fresh.count + $0.recent.count }
            if buffered >= count || isStopped { return buffered }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return state.withLock { $0.fresh.count + $0.recent.count }
    }

    // MARK: Ingest and teacher threads

    private func ingestLoop() {
        var backoff = 0.5
        var opened = false
        while !isStopped {
            do {
                let reader = try VideoReader(source: source, timeout: timeout)
                state.withLock {
                    if opened { $0.status.reconnects += 1 }
                    $0.status.connection = .connected
                    $0.status.reason = nil
                }
                opened = true
                backoff = 0.5
                var proposer = MotionProposer()
                while !isStopped, let frame = try reader.next() {
                    let blobs = proposer.propose(frame).map { $0.padded(by: 0.1, within: frame.width, frame.height) }
                    state.withLock {
                        $0.status.framesReceived += 1
                        if !blobs.isEmpty { $0.pending = (frame, blobs) }
                    }
                    if !blobs.isEmpty { wake.signal() }
                }
                disconnect(reason: "the source ended")
            } catch {
                disconnect(reason: "\(error)")
            }
            // Back off before opening again, waking early when stopped.
            let until = Date().addingTimeInterval(backoff)
            while !isStopped, Date() < until { Thread.sleep(forTimeInterval: 0.05) }
            backoff = min(maximumBackoff, backoff * 2)
        }
    }

    private func disconnect(reason: String) {
        state.withLock {
            $0.status.connection = .disconnected
            $0.status.reason = reason
        }
    }

    private func teacherLoop() {
        var objectCounter = 0
        while true {
            wake.lock()
            var job: (frame: VideoFrame, blobs: [Box])?
            while job == nil {
                let taken = state.withLock { state -> (Bool, (frame: VideoFrame, blobs: [Box])?) in
                    defer { state.pending = nil }
                    return (state.stopped, state.pending)
                }
                if taken.0 {
                    wake.unlock()
                    return
                }
                job = taken.1
                if job == nil { _ = wake.wait(until: Date().addingTimeInterval(0.2)) }
            }
            wake.unlock()
            guard let job else { continue }
            let started = ContinuousClock.now
            guard let people = try? detector.detect(job.frame) else { continue }
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let samples = VideoCatalogue.label(job.blobs, people: people).map { object -> Sample in
                objectCounter += 1
                return Sample(
                    crop: CropMaker.crop(job.frame, object.box, side: CropBatch.side),
                    label: object.label.rawValue,
                    sourceID: objectCounter
                )
            }
            state.withLock {
                $0.teacherSeconds += seconds
                $0.fresh += samples
                if $0.fresh.count > capacity { $0.fresh.removeFirst($0.fresh.count - capacity) }
                $0.status.bufferedObjects = $0.fresh.count + $0.recent.count
            }
        }
    }

    // MARK: Windows

    public func window(_ index: Int) -> StreamWindow {
        let drift = schedule.windows[min(max(0, index), schedule.windows.count - 1)]
        let cropCount = configuration.cropsPerWindow
        let taken = state.withLock { state -> (samples: [Sample], teacher: Double) in
            var samples = state.fresh
            // Too few new objects (a quiet or lost camera): the newest earlier ones fill the window.
            if samples.count < cropCount { samples = state.recent.suffix(cropCount - samples.count) + samples }
            state.recent = Array((state.recent + state.fresh).suffix(capacity))
            state.fresh = []
            state.status.bufferedObjects = state.recent.count
            defer { state.teacherSeconds = 0 }
            return (samples, state.teacherSeconds)
        }
        let start = configuration.windowDuration * index
        let interval = configuration.windowDuration / max(1, cropCount)
        var generator = SeededGenerator(seed: configuration.seed, 0x004C_1FE0, index)
        var crops = WindowCrops(configuration: configuration, index: index, drift: drift, using: &generator)
        for position in 0..<cropCount where !taken.samples.isEmpty {
            let sample = taken.samples[position * taken.samples.count / cropCount]
            crops.add(
                sample.crop,
                label: sample.label,
                position: position,
                timestamp: start + interval * position,
                sourceID: sample.sourceID
            )
        }
        var window = StreamWindow(index: index, start: start, drift: drift, train: crops.train, test: crops.test)
        window.teacherSeconds = taken.teacher
        return window
    }
}
