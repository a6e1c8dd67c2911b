/// A small, fast, seedable random number generator (SplitMix64).
///
/// Every random choice in EkyaData comes from one of these, seeded from the stream seed mixed with the
/// window and frame index, so any window can be regenerated on its own and identically on every platform.
/// Algorithm: Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose sequence is determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Creates a generator from a seed mixed with further integers, such as a window and a frame index.
    public init(seed: UInt64, _ parts: Int...) {
        var mixed = seed
        for part in parts {
            mixed = Self.mix(mixed ^ (UInt64(bitPattern: Int64(part)) &* 0x9E37_79B9_7F4A_7C15))
        }
        state = mixed
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
