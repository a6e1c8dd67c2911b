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

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
