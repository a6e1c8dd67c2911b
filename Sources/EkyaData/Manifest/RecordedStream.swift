import EkyaCore

/// One user camera's crops, as read from a manifest, in timestamp order.
public struct RecordedStream: Sendable, Equatable {
    /// The stream name from the manifest.
    public let name: String
    /// The crops; `labels` are `-1` where the manifest gave none, `sourceIDs` are manifest rows.
    public let crops: CropBatch
    /// Number of known classes.
    public let classCount: Int

    /// Creates a recorded stream.
    public init(name: String, crops: CropBatch, classCount: Int) {
        self.name = name
        self.crops = crops
        self.classCount = classCount
    }

    /// The stream cut into windows of `duration` (window `k` holds timestamps in `[k·d, (k+1)·d)`), each
    /// split at random into train and test crops.
    ///
    /// Each window's drift state reports the observed class mix (uniform when nothing is labelled) and no
    /// known corruption. Windows with no crops are kept (empty), so indices stay aligned with time.
    public func windows(
        duration: Duration,
        testFraction: Double = 0.3,
        seed: UInt64 = 1
    ) throws(DataError) -> [StreamWindow] {
        guard duration > .zero else { throw .invalidConfiguration("window duration must be positive") }
        guard testFraction > 0, testFraction < 1 else {
            throw .invalidConfiguration("test fraction must be in (0, 1), got \(testFraction)")
        }
        guard let last = crops.timestamps.last else { return [] }
        let windowCount = Int(last / duration) + 1
        var members = [[Int]](repeating: [], count: windowCount)
        for index in 0..<crops.count {
            members[Int(crops.timestamps[index] / duration)].append(index)
        }
        var windows: [StreamWindow] = []
        for (window, indices) in members.enumerated() {
            var generator = SeededGenerator(seed: seed, 0x5EC0_4D, window)
            let testCount = indices.count < 2 ? 0 : max(1, Int((Double(indices.count) * testFraction).rounded()))
            var isTest = [Bool](repeating: false, count: indices.count)
            for position in 0..<testCount { isTest[position] = true }
            isTest.shuffle(using: &generator)
            var train = CropBatch()
            var test = CropBatch()
            var counts = [Double](repeating: 0, count: classCount)
            for (position, index) in indices.enumerated() {
                let label = crops.labels[index]
                if (0..<classCount).contains(label) { counts[label] += 1 }
                if isTest[position] {
                    test.append(
                        pixels: crops.crop(index),
                        label: label,
                        timestamp: crops.timestamps[index],
                        sourceID: crops.sourceIDs[index]
                    )
                } else {
                    train.append(
                        pixels: crops.crop(index),
                        label: label,
                        timestamp: crops.timestamps[index],
                        sourceID: crops.sourceIDs[index]
                    )
                }
            }
            let mix = counts.contains { $0 > 0 } ? counts : [Double](repeating: 1, count: classCount)
            let drift = try DriftState(
                covariate: .clear,
                classMix: mix,
                appearance: [AppearanceChange](repeating: .original, count: classCount)
            )
            windows.append(
                StreamWindow(index: window, start: duration * window, drift: drift, train: train, test: test)
            )
        }
        return windows
    }
}
