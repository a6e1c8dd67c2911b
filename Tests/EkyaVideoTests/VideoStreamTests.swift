import EkyaCore
import EkyaData
import EkyaVideo
import Foundation
import Testing

/// The hand-checked sample of the teacher's output (Fixtures/pets-hand-checked.json).
struct HandChecked: Decodable {
    struct Detection: Decodable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        var person: Bool
    }

    struct Frame: Decodable {
        var index: Int
        var people: Int
        var detections: [Detection]
    }

    var frames: [Frame]

    static func load() throws -> HandChecked {
        let url = try #require(
            Bundle.module.url(forResource: "pets-hand-checked", withExtension: "json", subdirectory: "Fixtures")
        )
        return try JSONDecoder().decode(HandChecked.self, from: Data(contentsOf: url))
    }
}

/// Catalogues with a sparse stride, built once for the suite in a directory of its own.
enum TestCatalogues {
    static let directory: String = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-catalogues-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }()

    static func load(_ clip: String) throws -> VideoCatalogue {
        try VideoCatalogue.load(clip: clip, stride: 40, cacheDirectory: directory)
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct VideoStreamTests {
    @Test(.enabled(if: clipsAvailable, "scripts/setup fetches the clips"))
    func theTeacherFindsPeopleAtTheHandCheckedPrecisionAndRecall() throws {
        // Given the frames a person checked by eye, and what the detector said on each then
        let checked = try HandChecked.load()
        let wanted = Set(checked.frames.map(\.index))
        let reader = try VideoReader(source: VideoClips.pets)
        let detector = PeopleDetector()
        var right = 0
        var found = 0
        // When the detector runs on them again
        while let frame = try reader.next(), frame.index <= wanted.max() ?? 0 {
            guard let sample = checked.frames.first(where: { $0.index == frame.index }) else { continue }
            let detections = try detector.detect(frame)
            // Then it finds the same boxes (the checked verdicts apply to them)
            #expect(detections.count == sample.detections.count, "frame \(frame.index)")
            for box in sample.detections {
                let same = detections.contains {
                    abs($0.box.x - box.x) <= 2 && abs($0.box.y - box.y) <= 2 && abs($0.box.width - box.width) <= 2
                }
                #expect(same, "frame \(frame.index): \(box) not found again")
            }
            right += sample.detections.filter(\.person).count
            found += sample.detections.count
        }
        let people = checked.frames.map(\.people).reduce(0, +)
        let precision = Double(right) / Double(found)
        let recall = Double(right) / Double(people)
        // 40 of 53 detections right, 40 of 49 people found (8 frames)
        #expect(checked.frames.count == 8)
        #expect(abs(precision - 40.0 / 53) < 1e-9 && abs(recall - 40.0 / 49) < 1e-9, "P \(precision) R \(recall)")
    }

    @Test(.enabled(if: clipsAvailable, "scripts/setup fetches the clips"))
    func aCatalogueLabelsMovingObjectsAndIsCachedBesideTheClip() throws {
        // Given the catalogue of vtest on every 40th frame, built then loaded again from its cache
        let built = try TestCatalogues.load(VideoClips.pets)
        let started = ContinuousClock.now
        let cached = try TestCatalogues.load(VideoClips.pets)
        // Then it covers the clip, its objects are in the frame, and about half are people
        #expect(built.frameCount == 795 && built.frames.count == 20)
        #expect(built.frames.map(\.index) == Array(stride(from: 0, to: 795, by: 40)))
        let objects = built.frames.flatMap(\.objects)
        #expect(objects.count > 60)
        #expect(objects.allSatisfy { $0.box.x >= 0 && $0.box.y >= 0 && $0.box.x + $0.box.width <= 768 })
        let people = Double(objects.filter { $0.label == .person }.count) / Double(objects.count)
        #expect((0.3...0.8).contains(people), "\(people)")
        #expect(built.teacherSecondsPerFrame > 0)
        // and the cached load gives the same objects without running the teacher again
        #expect(cached.frames.map(\.objects) == built.frames.map(\.objects))
        #expect(cached.teacherSecondsPerFrame == built.teacherSecondsPerFrame)
        #expect(started.duration(to: .now) < .seconds(60))
        #expect(built.frames.first?.image.width == 384)
    }

    @Test(.enabled(if: clipsAvailable, "scripts/setup fetches the clips"))
    func aVideoStreamWindowHasTheCropRateUnderThePresetsDriftReproducibly() throws {
        // Given a camera on vtest then bikes under the day-night preset
        let catalogues = [try TestCatalogues.load(VideoClips.pets), try TestCatalogues.load(VideoClips.bikes)]
        let configuration = try StreamConfiguration(
            cropsPerSecond: 10,
            windowDuration: .seconds(30),
            testFraction: 0.5,
            seed: 3
        )
        let stream = try VideoStream(
            catalogues: catalogues,
            scenario: .dayNight,
            windowCount: 6,
            configuration: configuration
        )
        #expect(abs(stream.loopSeconds - (79.5 + 10)) < 1e-9)
        for index in 0..<6 {
            let window = stream.window(index)
            // Then each window holds the crop rate's crops, split as configured, labelled person or other
            #expect(window.train.count + window.test.count == 300)
            #expect(window.test.count == 150)
            #expect(Set(window.train.labels + window.test.labels).isSubset(of: [0, 1]))
            #expect(window.train.pixels.allSatisfy { (0...1).contains($0) })
            #expect(window.teacherSeconds > 0)
            #expect(window.drift.covariate == stream.schedule.windows[index].covariate)
            // and it is the same window every time
            #expect(stream.window(index) == window)
        }
        // The scene change: a window that covers bikes' street has more 'other' objects than one on the
        // pedestrians only.
        func others(_ window: StreamWindow) -> Double {
            Double((window.train.labels + window.test.labels).filter { $0 == 1 }.count) / 300
        }
        #expect(
            others(stream.window(2)) > others(stream.window(0)),
            "\(others(stream.window(2))) \(others(stream.window(0)))"
        )
        // Night darkens the crops of the windows whose preset makes them darker.
        let darkest = (0..<6).max {
            stream.schedule.windows[$0].covariate.night < stream.schedule.windows[$1].covariate.night
        }
        let night = try #require(darkest)
        let clear = try VideoStream(
            catalogues: catalogues,
            scenario: .stable,
            windowCount: 6,
            configuration: configuration
        )
        func brightness(_ window: StreamWindow) -> Float {
            window.test.pixels.reduce(0, +) / Float(window.test.pixels.count)
        }
        if stream.schedule.windows[night].covariate.night > 0.3 {
            #expect(brightness(stream.window(night)) < brightness(clear.window(night)))
        }
    }
}
