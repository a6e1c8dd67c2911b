import EkyaData
import Testing

@Suite(.enabled(if: Fixtures.hasDataset, "needs the Debian package dataset-fashion-mnist"))
struct CameraStreamTests {
    func stream(_ preset: ScenarioPreset, seed: UInt64 = 11, windows: Int = 6) throws -> CameraStream {
        let configuration = try StreamConfiguration(cropsPerSecond: 5, windowDuration: .seconds(60), seed: seed)
        return try CameraStream(
            pool: try #require(Fixtures.pool),
            scenario: preset,
            windowCount: windows,
            configuration: configuration
        )
    }

    @Test(arguments: ScenarioPreset.allCases)
    func trainAndTestNeverShareAnImageWithinAWindow(preset: ScenarioPreset) throws {
        let stream = try stream(preset)
        for index in 0..<stream.windowCount {
            let window = stream.window(index)
            #expect(Set(window.train.sourceIDs).isDisjoint(with: window.test.sourceIDs))
            #expect(Set(window.train.sourceIDs).count == window.train.count)
            #expect(window.train.count + window.test.count == 300)
            #expect(window.test.count == 90)
        }
    }

    @Test func isDeterministicPerSeedAndRandomAccess() throws {
        // Given two streams with the same seed and one with another
        let first = try stream(.mixed)
        let second = try stream(.mixed)
        let other = try stream(.mixed, seed: 12)
        // Then windows are identical however they are reached, and differ across seeds
        #expect(first.window(3) == second.window(3))
        #expect(first.windows()[3] == second.window(3))
        #expect(first.window(3).train.pixels != other.window(3).train.pixels)
    }

    @Test func cropsAreTimeOrderedAtTheFrameRate() throws {
        let window = try stream(.stable).window(2)
        let timestamps = (window.train.timestamps + window.test.timestamps).sorted()
        #expect(window.start == .seconds(120))
        #expect(timestamps.first == .seconds(120))
        #expect(timestamps.last == .seconds(120) + .milliseconds(200) * 299)
        #expect(zip(timestamps, timestamps.dropFirst()).allSatisfy { $1 - $0 == .milliseconds(200) })
        #expect(window.train.timestamps == window.train.timestamps.sorted())
    }

    @Test func classMixFollowsTheSchedule() throws {
        let stream = try stream(.classShift)
        for index in 0..<stream.windowCount {
            let window = stream.window(index)
            let counts = window.train.classCounts(classCount: 10)
            for (label, share) in window.drift.classMix.enumerated() where share == 0 {
                #expect(counts[label] == 0, "window \(index) class \(label) should be absent")
            }
            #expect(window.drift.classMix.filter { $0 > 0 }.count == 6)
        }
        // The dominant classes change from window to window.
        #expect(stream.window(0).drift.classMix != stream.window(1).drift.classMix)
    }

    @Test func cropsAreRealImagesUnderStableConditions() throws {
        let pool = try #require(Fixtures.pool)
        let window = try stream(.stable).window(0)
        let id = window.train.sourceIDs[0]
        let expected = pool.pixels[(id * 784)..<((id + 1) * 784)].map { Float($0) / 255 }
        #expect(zip(window.train.crop(0), expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(window.train.labels[0] == Int(pool.labels[id]))
    }

    @Test func dayNightCycleRecurs() throws {
        let schedule = try ScenarioPreset.dayNight.schedule(windowCount: 13, seed: 1)
        let night = schedule.windows.map(\.covariate.night)
        #expect(night[0] == 0 && abs(night[6]) < 1e-9 && abs(night[12]) < 1e-9)
        #expect(abs(night[3] - 1) < 1e-9 && abs(night[9] - 1) < 1e-9)
        // The night crops really are darker.
        let stream = try stream(.dayNight, windows: 4)
        #expect(Fixtures.mean(stream.window(3).test.pixels) < 0.6 * Fixtures.mean(stream.window(0).test.pixels))
    }

    @Test func presetsHaveIncreasingDriftMagnitude() throws {
        func totalSeverity(_ preset: ScenarioPreset) throws -> Double {
            let schedule = try preset.schedule(windowCount: 10, seed: 3)
            return schedule.windows.reduce(0) { $0 + $1.severity(relativeTo: schedule.windows[0]) }
        }
        #expect(try totalSeverity(.stable) < 0.5)
        #expect(try totalSeverity(.weather) > 2)
        #expect(try totalSeverity(.dayNight) > 3)
        #expect(try totalSeverity(.classShift) > 3)
        #expect(try totalSeverity(.mixed) > 3)
        #expect(ScenarioPreset.allCases.map(\.rawValue) == ["stable", "day-night", "weather", "class-shift", "mixed"])
        #expect(throws: DataError.unknownScenario("foggy")) { try ScenarioPreset(named: "foggy") }
    }
}
