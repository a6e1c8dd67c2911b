/// Number and text formatting shared by every report: progress lines, tables and SVG plots.
public enum TextFormat {
    /// A fraction as a percentage with one decimal: 0.6825 → "68.3%", −0.005 → "-0.5%".
    public static func percent(_ fraction: Double) -> String {
        fixed(fraction * 100, decimals: 1) + "%"
    }

    /// A number with two decimals: 0.517 → "0.52".
    public static func fixed2(_ value: Double) -> String {
        fixed(value, decimals: 2)
    }

    /// A number rounded to `decimals` decimals (half away from zero), without Foundation.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<max(0, decimals) { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let units = Int(scaled)
        let sign = value < 0 && units != 0 ? "-" : ""
        let whole = units / Int(scale)
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let digits = String(units % Int(scale))
        return "\(sign)\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    /// Text safe inside XML and SVG elements and attribute values.
    public static func xmlEscaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension CaseIterable where Self: RawRepresentable, Self.RawValue == String {
    /// The cases as an error message lists them: `'a' or 'b'`, `'a', 'b' or 'c'`.
    public static var choices: String {
        let names = allCases.map { "'\($0.rawValue)'" }
        guard let last = names.last, names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " or " + last
    }
}
