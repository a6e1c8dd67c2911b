/// The compute the scheduler may hand out: G devices, split in quanta of Δ.
///
/// With `.devices` packing every job lives on one device (a job never exceeds 1.0 and the jobs on a
/// device sum to at most 1.0). `.pooled` treats the devices as one pool, as the paper's Table 1 example
/// and the authors' simulator do.
public struct Capacity: Sendable, Equatable {
    public enum Packing: String, Sendable, Equatable, CaseIterable {
        case devices
        case pooled
    }

    public let devices: Int
    public let quantum: Double
    public let quantaPerDevice: Int
    public let packing: Packing

    /// - Throws: ``EkyaError/invalidQuantum(_:)`` unless 1/Δ is a whole number, ``EkyaError/invalidDevices(_:)``.
    public init(devices: Int, quantum: Double = 0.1, packing: Packing = .devices) throws(EkyaError) {
        guard devices >= 1 else { throw .invalidDevices(devices) }
        guard quantum > 0, quantum <= 1, quantum.isFinite else { throw .invalidQuantum(quantum) }
        let perDevice = (1 / quantum).rounded()
        guard abs(perDevice * quantum - 1) < 1e-6 else { throw .invalidQuantum(quantum) }
        self.devices = devices
        self.quantum = quantum
        self.quantaPerDevice = Int(perDevice)
        self.packing = packing
    }

    /// Total quanta over all devices.
    public var totalQuanta: Int { devices * quantaPerDevice }

    /// The largest share one job may hold.
    public var maximumJobShare: Double { packing == .devices ? 1 : Double(devices) }

    /// The largest number of quanta one job may hold.
    public var maximumJobQuanta: Int { packing == .devices ? quantaPerDevice : totalQuanta }

    /// Total share over all devices.
    public var total: Double { Double(devices) }
}

/// A retraining window: its length T in seconds and the labelling delay d before training can start.
public struct WindowTiming: Sendable, Equatable {
    public let length: Int
    public let labellingDelay: Double

    /// - Throws: ``EkyaError/invalidWindow(length:labellingDelay:)`` unless T > 0 and 0 ≤ d < T.
    public init(length: Int, labellingDelay: Double) throws(EkyaError) {
        guard length > 0, labellingDelay >= 0, labellingDelay < Double(length), labellingDelay.isFinite else {
            throw .invalidWindow(length: length, labellingDelay: labellingDelay)
        }
        self.length = length
        self.labellingDelay = labellingDelay
    }

    /// Number of integer seconds k with `start` ≤ k ≤ T (the sample-and-hold grid of the window).
    public func sampleCount(from start: Double) -> Int {
        max(0, length - firstSample(from: start) + 1)
    }

    /// The first integer second at or after `start`.
    public func firstSample(from start: Double) -> Int {
        max(0, Int(start.rounded(.up)))
    }
}
