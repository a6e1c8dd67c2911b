/// Severities of the covariate corruptions in one window, each in `0...1`.
public struct CovariateSeverities: Sendable, Equatable, Codable {
    public var night: Double
    public var fog: Double
    public var motionBlur: Double
    public var rain: Double
    public var compression: Double
    public var occlusion: Double

    /// Creates severities; values are clamped to `0...1`.
    public init(
        night: Double = 0,
        fog: Double = 0,
        motionBlur: Double = 0,
        rain: Double = 0,
        compression: Double = 0,
        occlusion: Double = 0
    ) {
        func clamp(_ value: Double) -> Double { min(max(value, 0), 1) }
        self.night = clamp(night)
        self.fog = clamp(fog)
        self.motionBlur = clamp(motionBlur)
        self.rain = clamp(rain)
        self.compression = clamp(compression)
        self.occlusion = clamp(occlusion)
    }

    /// No corruption.
    public static let clear = CovariateSeverities()

    enum CodingKeys: String, CodingKey {
        case night, fog, rain, compression, occlusion
        case motionBlur = "motion_blur"
    }

    /// The severity of `corruption`.
    public subscript(corruption: Corruption) -> Double {
        switch corruption {
        case .night: night
        case .fog: fog
        case .motionBlur: motionBlur
        case .rain: rain
        case .compression: compression
        case .occlusion: occlusion
        }
    }

    /// The strongest corruption's severity.
    public var maximum: Double { Corruption.allCases.map { self[$0] }.max() ?? 0 }
}

/// The drift a camera sees during one window: corruptions, class mix and per-class appearance.
public struct DriftState: Sendable, Equatable, Codable {
    /// Covariate corruption severities.
    public var covariate: CovariateSeverities
    /// Probability of each class among the window's crops (sums to 1).
    public var classMix: [Double]
    /// Appearance of each class.
    public var appearance: [AppearanceChange]

    /// Creates a state; `classMix` is normalised to sum to 1.
    public init(covariate: CovariateSeverities, classMix: [Double], appearance: [AppearanceChange]) throws(DataError) {
        guard !classMix.isEmpty, classMix.count == appearance.count else {
            throw .invalidConfiguration("class mix and appearance must list the same, non-zero number of classes")
        }
        let total = classMix.reduce(0, +)
        guard total > 0, classMix.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw .invalidConfiguration("class mix must be non-negative with a positive total")
        }
        self.covariate = covariate
        self.classMix = classMix.map { $0 / total }
        self.appearance = appearance
    }

    /// Fraction of classes whose appearance differs from the original.
    public var appearanceShift: Double {
        Double(appearance.filter { !$0.isOriginal }.count) / Double(appearance.count)
    }

    /// Total-variation distance between this window's class mix and `reference`'s, in `0...1`.
    public func labelShift(from reference: DriftState) -> Double {
        zip(classMix, reference.classMix).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
    }

    /// One number for plots: the largest of the covariate severities, the appearance shift and the label shift
    /// from `reference`.
    public func severity(relativeTo reference: DriftState) -> Double {
        max(covariate.maximum, appearanceShift, labelShift(from: reference))
    }
}
