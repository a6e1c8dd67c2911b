/// A small, fast, seedable pseudo-random generator (SplitMix64 by Steele, Lea and Flood, 2014).
///
/// Used wherever the project needs reproducible randomness: every random choice takes
/// `using generator: inout some RandomNumberGenerator`, and commands seed this one from `--seed`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Creates a generator from a seed mixed with further integers, such as a window and a frame index, so
    /// that any part of a stream can be regenerated on its own.
    public init(seed: UInt64, _ parts: Int...) {
        var mixed = seed
        for part in parts {
            mixed = Self.mix(mixed ^ (UInt64(bitPattern: Int64(part)) &* 0x9E37_79B9_7F4A_7C15))
        }
        self.state = mixed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
