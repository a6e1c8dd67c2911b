import EkyaCore
import Foundation

/// The built-in drift scenarios, from no drift to every kind at once.
///
/// Each preset is a documented function of the window index (and, for the class order, the seed):
///
/// | preset | covariate drift | class mix | appearance |
/// |---|---|---|---|
/// | `stable` | none | uniform ±10 % jitter | original |
/// | `day-night` | night `½ − ½cos(2πw/6)` (day at w = 0, 6, 12, …; full night at w = 3, 9, …), motion blur 0.35×night | uniform ±10 % | original |
/// | `weather` | 5-window cycle: clear, rain 0.5, fog 0.15 + rain 0.3, blur 0.6 + rain 0.7, fog 0.25 | uniform ±10 % | original |
/// | `class-shift` | none | 4 dominant classes (80 %), 2 minor (20 %), 4 absent; the groups rotate by 4 classes per window | from w = 5 half the classes change look, flip or shrink |
/// | `mixed` | night cycle (period 8, max 0.8) + weather cycle at 150 % + compression 0.8 every 3rd window + occlusion 0.5 on odd windows | 5 dominant classes (70 %), rotating by 3 per window | from w = 4 a third of the classes change |
public enum ScenarioPreset: String, CaseIterable, Sendable, Codable {
    case stable
    case dayNight = "day-night"
    case weather
    case classShift = "class-shift"
    case mixed

    /// Looks a preset up by its name as printed by `ekya data scenarios`.
    public init(named name: String) throws(DataError) {
        guard let preset = ScenarioPreset(rawValue: name) else { throw .unknownScenario(name) }
        self = preset
    }

    /// One-line description for listings.
    public var summary: String {
        switch self {
        case .stable: "no drift: the same class mix and conditions in every window"
        case .dayNight: "a day/night cycle: darkening, sensor noise and some motion blur, recurring every 6 windows"
        case .weather: "fog, rain and wind-shake blur in a recurring 5-window cycle"
        case .classShift: "the class mix rotates (classes vanish and dominate); item looks change from window 5"
        case .mixed: "night, weather, compression, occlusion, class-mix and appearance drift together"
        }
    }

    /// The drift schedule of `windowCount` windows; the seed only picks the class order and the mix jitter.
    public func schedule(windowCount: Int, classCount: Int = 10, seed: UInt64) throws(DataError) -> DriftSchedule {
        guard windowCount > 0 else { throw .invalidConfiguration("a stream needs at least one window") }
        guard classCount >= 6 else { throw .invalidConfiguration("the presets need at least 6 classes") }
        var generator = SeededGenerator(seed: seed, 0x5CE7_A210)
        var order = Array(0..<classCount)
        order.shuffle(using: &generator)
        var states: [DriftState] = []
        for window in 0..<windowCount {
            var jitterGenerator = SeededGenerator(seed: seed, 0x31_77E2, window)
            let jittered = (0..<classCount).map { _ in 1 + 0.2 * (Double(jitterGenerator.nextUnitFloat()) - 0.5) }
            let original = [AppearanceChange](repeating: .original, count: classCount)
            let state: DriftState
            switch self {
            case .stable:
                state = try DriftState(covariate: .clear, classMix: jittered, appearance: original)
            case .dayNight:
                let night = Self.nightCycle(window, period: 6, peak: 1)
                state = try DriftState(
                    covariate: CovariateSeverities(night: night, motionBlur: 0.35 * night),
                    classMix: jittered,
                    appearance: original
                )
            case .weather:
                state = try DriftState(
                    covariate: Self.weatherCycle(window, scale: 1),
                    classMix: jittered,
                    appearance: original
                )
            case .classShift:
                state = try DriftState(
                    covariate: .clear,
                    classMix: Self.rotatingMix(window, order: order, dominant: 4, dominantMass: 0.8, minor: 2, step: 4),
                    appearance: window >= 5 ? Self.changedLooks(order: order, fraction: 0.5) : original
                )
            case .mixed:
                var covariate = Self.weatherCycle(window, scale: 1.5)
                covariate.night = Self.nightCycle(window, period: 8, peak: 0.8)
                covariate.motionBlur = max(covariate.motionBlur, 0.3 * covariate.night)
                covariate.compression = window % 3 == 2 ? 0.8 : 0
                covariate.occlusion = window % 2 == 1 ? 0.5 : 0
                state = try DriftState(
                    covariate: CovariateSeverities(
                        night: covariate.night,
                        fog: covariate.fog,
                        motionBlur: covariate.motionBlur,
                        rain: covariate.rain,
                        compression: covariate.compression,
                        occlusion: covariate.occlusion
                    ),
                    classMix: Self.rotatingMix(window, order: order, dominant: 5, dominantMass: 0.7, minor: 5, step: 3),
                    appearance: window >= 4 ? Self.changedLooks(order: order.reversed(), fraction: 0.34) : original
                )
            }
            states.append(state)
        }
        return DriftSchedule(windows: states)
    }

    // MARK: - Building blocks

    private static func nightCycle(_ window: Int, period: Int, peak: Double) -> Double {
        peak * (0.5 - 0.5 * cos(2 * Double.pi * Double(window) / Double(period)))
    }

    /// Clear, rain, light fog with rain, wind-shake blur with heavy rain, fog; models trained on clear
    /// crops are very sensitive to fog's veil, so its severities stay low except in `mixed`.
    private static func weatherCycle(_ window: Int, scale: Double) -> CovariateSeverities {
        switch window % 5 {
        case 1: CovariateSeverities(rain: 0.5 * scale)
        case 2: CovariateSeverities(fog: 0.15 * scale, rain: 0.3 * scale)
        case 3: CovariateSeverities(motionBlur: 0.6 * scale, rain: 0.7 * scale)
        case 4: CovariateSeverities(fog: 0.25 * scale)
        default: .clear
        }
    }

    /// `dominant` classes share `dominantMass`, the next `minor` share the rest, the others are absent;
    /// the window shifts the groups along `order` by `step` classes.
    private static func rotatingMix(
        _ window: Int,
        order: [Int],
        dominant: Int,
        dominantMass: Double,
        minor: Int,
        step: Int
    ) -> [Double] {
        var mix = [Double](repeating: 0, count: order.count)
        let offset = window * step
        for index in 0..<dominant {
            mix[order[(offset + index) % order.count]] += dominantMass / Double(dominant)
        }
        for index in 0..<minor {
            mix[order[(offset + dominant + index) % order.count]] += (1 - dominantMass) / Double(minor)
        }
        return mix
    }

    /// The first `fraction` of `order` change look; they cycle through flips, a shrink and the other image half.
    private static func changedLooks(order: [Int], fraction: Double) -> [AppearanceChange] {
        var looks = [AppearanceChange](repeating: .original, count: order.count)
        let changed = Int((Double(order.count) * fraction).rounded())
        let variants = [
            AppearanceChange(look: 1, flipsVertically: true),
            AppearanceChange(look: 0, scale: 0.7),
            AppearanceChange(flipsHorizontally: true, flipsVertically: true, scale: 1.2),
            AppearanceChange(look: 1, scale: 0.75),
            AppearanceChange(look: 0, flipsVertically: true, scale: 0.85),
        ]
        for index in 0..<changed {
            looks[order[index]] = variants[index % variants.count]
        }
        return looks
    }
}

/// The drift of every window of a stream, in window order.
public struct DriftSchedule: Sendable, Equatable, Codable {
    /// One state per window.
    public var windows: [DriftState]

    /// Creates a schedule from explicit states for a custom scenario.
    public init(windows: [DriftState]) {
        self.windows = windows
    }

    /// Number of windows.
    public var count: Int { windows.count }
}
