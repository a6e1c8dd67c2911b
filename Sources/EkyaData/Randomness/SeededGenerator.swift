public import EkyaCore

/// The generator behind every random choice in EkyaData: EkyaCore's SplitMix64, seeded from the stream seed
/// mixed with the window and frame index, so any window can be regenerated on its own and identically on
/// every platform.
public typealias SeededGenerator = SplitMix64
