import EkyaCore

/// A camera's stream of item crops, made from a pool of real images under a drift schedule.
///
/// Window `w` lasts ``StreamConfiguration/windowDuration`` and holds ``StreamConfiguration/cropsPerWindow``
/// crops captured at even intervals. Each crop's class is drawn from the window's class mix; its image is
/// drawn from that class's images (the window's look of the class), without replacement within the window,
/// so no source image appears twice in a window and the train and test crops never overlap. The crop then
/// gets the class's appearance change and the window's corruptions in ``Corruption/pipelineOrder``.
///
/// Randomness is derived from the seed, the window index and the crop index only, so any window can be
/// generated on its own, in any order, with identical results.
public struct CameraStream: Sendable {
    /// The real images crops are made from.
    public let pool: ImagePool
    /// Drift per window; the stream has one window per state.
    public let schedule: DriftSchedule
    /// Frame rate, window length, split and seed.
    public let configuration: StreamConfiguration
    /// `imagesByClassAndLook[class][look]`: look 0 = lighter half, 1 = darker half, 2 = all.
    private let imagesByClassAndLook: [[[Int]]]

    /// Creates a stream.
    ///
    /// - Throws: ``DataError/invalidConfiguration(_:)`` when the pool is not 28×28, the schedule's class
    ///   count differs from the pool's, or a class present in some window has no images.
    public init(pool: ImagePool, schedule: DriftSchedule, configuration: StreamConfiguration) throws(DataError) {
        guard pool.width == CropBatch.side, pool.height == CropBatch.side else {
            throw .invalidConfiguration("stream images must be \(CropBatch.side)x\(CropBatch.side)")
        }
        guard schedule.windows.allSatisfy({ $0.classMix.count == pool.classCount }) else {
            throw .invalidConfiguration("the drift schedule's class count differs from the pool's \(pool.classCount)")
        }
        imagesByClassAndLook = pool.imagesByClassAndLook
        for state in schedule.windows {
            for (label, share) in state.classMix.enumerated() where share > 0 {
                let look = state.appearance[label].look ?? 2
                guard imagesByClassAndLook[label][min(max(look, 0), 2)].count > 0 else {
                    throw .invalidConfiguration("class \(pool.classNames[label]) has no images for look \(look)")
                }
            }
        }
        self.pool = pool
        self.schedule = schedule
        self.configuration = configuration
    }

    /// Creates a stream of a built-in scenario.
    public init(
        pool: ImagePool,
        scenario: ScenarioPreset,
        windowCount: Int,
        configuration: StreamConfiguration
    ) throws(DataError) {
        let schedule = try scenario.schedule(
            windowCount: windowCount,
            classCount: pool.classCount,
            seed: configuration.seed
        )
        try self.init(pool: pool, schedule: schedule, configuration: configuration)
    }

    /// Number of windows.
    public var windowCount: Int { schedule.count }

    /// Generates window `index`.
    ///
    /// - Complexity: O(crops per window × pixels per crop): in release builds 1.5 µs (no drift) to 55 µs (night
    ///   noise, every corruption) per crop, so 3–110 ms for a 2 000-crop window.
    public func window(_ index: Int) -> StreamWindow {
        precondition((0..<windowCount).contains(index), "window \(index) is outside 0..<\(windowCount)")
        let state = schedule.windows[index]
        let cropCount = configuration.cropsPerWindow
        let start = configuration.windowDuration * index
        var generator = SeededGenerator(seed: configuration.seed, 0x0057_1D0A, index)

        // Which crops are held out: exactly testCropsPerWindow of them, at random positions.
        var isTest = [Bool](repeating: false, count: cropCount)
        for position in 0..<configuration.testCropsPerWindow { isTest[position] = true }
        isTest.shuffle(using: &generator)

        // Cumulative class mix for sampling classes.
        var cumulative: [Double] = []
        var running = 0.0
        for share in state.classMix {
            running += share
            cumulative.append(running)
        }

        var remaining = imagesByClassAndLook.enumerated().map { label, looks in
            looks[min(max(state.appearance[label].look ?? 2, 0), 2)]
        }
        var train = CropBatch()
        var test = CropBatch()
        train.reserveCapacity(cropCount - configuration.testCropsPerWindow)
        test.reserveCapacity(configuration.testCropsPerWindow)
        var crop = [Float](repeating: 0, count: CropBatch.pixelsPerCrop)
        let interval = configuration.windowDuration / cropCount
        for position in 0..<cropCount {
            let draw = Double(generator.nextUnitFloat()) * running
            var label = cumulative.firstIndex { draw < $0 } ?? (cumulative.count - 1)
            while state.classMix[label] == 0 { label = (label + 1) % cumulative.count }
            if remaining[label].isEmpty {
                // The class ran out of unused images this window (tiny pools only): skip the crop.
                continue
            }
            let pick = Int(generator.next() % UInt64(remaining[label].count))
            remaining[label].swapAt(pick, remaining[label].count - 1)
            let image = remaining[label].removeLast()
            render(image: image, label: label, state: state, window: index, position: position, into: &crop)
            let timestamp = start + interval * position
            if isTest[position] {
                test.append(pixels: crop, label: label, timestamp: timestamp, sourceID: image)
            } else {
                train.append(pixels: crop, label: label, timestamp: timestamp, sourceID: image)
            }
        }
        return StreamWindow(index: index, start: start, drift: state, train: train, test: test)
    }

    /// Generates every window in order.
    public func windows() -> [StreamWindow] {
        (0..<windowCount).map(window)
    }

    private func render(image: Int, label: Int, state: DriftState, window: Int, position: Int, into crop: inout [Float])
    {
        let size = CropBatch.pixelsPerCrop
        pool.pixels.withUnsafeBufferPointer { pixels in
            for offset in 0..<size { crop[offset] = Float(pixels[image * size + offset]) * (1 / 255) }
        }
        state.appearance[label].apply(to: &crop)
        var generator = SeededGenerator(seed: configuration.seed, 0x00C0_FFEE, window, position)
        for corruption in Corruption.pipelineOrder {
            let severity = state.covariate[corruption]
            if severity > 0 {
                corruption.apply(to: &crop, severity: Float(severity), using: &generator)
            }
        }
    }
}

/// A stream of labelled crops cut into retraining windows: a Fashion-MNIST camera or a video camera.
public protocol WindowedCropStream: Sendable {
    /// Classes its labels index.
    var classCount: Int { get }
    /// Window `index`: its drift and its train and test crops.
    func window(_ index: Int) -> StreamWindow
}

extension CameraStream: WindowedCropStream {
    public var classCount: Int { pool.classCount }
}
