/// The paper's headline measure: how many times the devices a baseline needs to match a scheduler.
public enum ResourceRatio {
    /// The device count at which `curve` first reaches `target`, or nil when it never does.
    ///
    /// `curve` is accuracy by device count; between measured counts the count is interpolated linearly.
    /// When the smallest measured count already reaches it, that count is returned (an upper bound).
    public static func devicesNeeded(target: Double, curve: [(devices: Int, accuracy: Double)]) -> Double? {
        let sorted = curve.sorted { $0.devices < $1.devices }
        guard let first = sorted.first else { return nil }
        if first.accuracy >= target { return Double(first.devices) }
        for (low, high) in zip(sorted, sorted.dropFirst()) where high.accuracy >= target {
            let span = high.accuracy - low.accuracy
            let fraction = span > 0 ? (target - low.accuracy) / span : 1
            return Double(low.devices) + fraction * Double(high.devices - low.devices)
        }
        return nil
    }
}
