/// The first key that appears twice in one object of a JSON text, as a path ("streams[1].id"), or nil.
///
/// `JSONSerialization` and `JSONDecoder` keep one of the values silently, so a configuration that sets a key
/// twice would run with a value its author may not have meant. Hand-written (no JSON library here reports
/// duplicates): a scanner over objects, arrays and strings; the text must already parse as JSON.
public func firstDuplicateKey(in text: String) -> String? {
    enum Frame {
        case object(keys: Set<String>, current: String?)
        case array(index: Int)
    }
    var stack: [Frame] = []
    var expectingKey = false
    var scalars = text.unicodeScalars.makeIterator()
    func readString() -> String {
        var value = String.UnicodeScalarView()
        while let scalar = scalars.next(), scalar != "\"" {
            value.append(scalar)
            if scalar == "\\", let escaped = scalars.next() { value.append(escaped) }
        }
        return String(value)
    }
    func path(to key: String) -> String {
        var text = ""
        for frame in stack.dropLast() {
            switch frame {
            case .object(_, let current?): text += text.isEmpty ? current : ".\(current)"
            case .object: break
            case .array(let index): text += "[\(index)]"
            }
        }
        return text.isEmpty ? key : "\(text).\(key)"
    }
    while let scalar = scalars.next() {
        switch scalar {
        case "{":
            stack.append(.object(keys: [], current: nil))
            expectingKey = true
        case "[":
            stack.append(.array(index: 0))
            expectingKey = false
        case "}", "]":
            _ = stack.popLast()
            expectingKey = false
        case ",":
            switch stack.last {
            case .object: expectingKey = true
            case .array(let index): stack[stack.count - 1] = .array(index: index + 1)
            case nil: break
            }
        case "\"":
            let string = readString()
            guard expectingKey, case .object(var keys, _) = stack.last else { continue }
            if keys.contains(string) { return path(to: string) }
            keys.insert(string)
            stack[stack.count - 1] = .object(keys: keys, current: string)
            expectingKey = false
        default:
            continue
        }
    }
    return nil
}
