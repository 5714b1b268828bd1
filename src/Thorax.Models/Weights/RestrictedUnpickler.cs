using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Thorax.Models.Weights;

/// <summary>
/// A pickle virtual machine that understands only what PyTorch state dicts and plain checkpoints need (protocols
/// 2–4): containers, numbers, strings, <c>collections.OrderedDict</c>, tensor rebuild functions and storage types.
/// Any other global is refused before anything is constructed, so no code from the file can run.
/// </summary>
internal sealed class RestrictedUnpickler
{
    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => Module + "." + Name;
    }

    private sealed record StorageType(ScalarType ScalarType);

    private sealed record StorageRef(string Key, ScalarType ScalarType, long Numel);

    private sealed class PyList(List<object?> items) { public List<object?> Items { get; } = items; }

    private sealed class PyTuple(object?[] items) { public object?[] Items { get; } = items; }

    private sealed class PyDict { public List<KeyValuePair<object?, object?>> Items { get; } = new(); }

    private sealed class Mark { public static readonly Mark Instance = new(); }

    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32, ["DoubleStorage"] = ScalarType.Float64, ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16, ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16, ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte, ["BoolStorage"] = ScalarType.Bool,
    };

    private readonly byte[] _data;
    private readonly string _file;
    private readonly Func<string, long, byte[]> _loadStorage;
    private readonly Dictionary<string, byte[]> _storages = new(StringComparer.Ordinal);
    private readonly List<Tensor> _created = new();
    private readonly long _expansionBudget;
    private long _expandedBytes;
    private int _pos;

    /// <summary>The least dense bytes that expanded views of one file may make (256 MiB, the fuzzer's per-case limit).</summary>
    internal const long MinExpansionBudget = 256L << 20;

    /// <summary>Dense bytes of expanded views allowed per byte of the file, above <see cref="MinExpansionBudget"/>.</summary>
    internal const long ExpansionPerFileByte = 1024;

    /// <param name="data">The pickle bytes (<c>data.pkl</c>).</param>
    /// <param name="file">File name for messages.</param>
    /// <param name="loadStorage">Returns the raw bytes of storage <c>key</c>, given its expected byte count.</param>
    /// <param name="fileLength">The size of the file on disk (0: the pickle's), which sets how much memory expanded
    /// (stride-0 or overlapping) views may take when they are made dense:
    /// max(<see cref="MinExpansionBudget"/>, <see cref="ExpansionPerFileByte"/> x file size) bytes for the whole file.</param>
    public RestrictedUnpickler(byte[] data, string file, Func<string, long, byte[]> loadStorage, long fileLength = 0)
    {
        _data = data;
        _file = file;
        _loadStorage = loadStorage;
        var length = Math.Max(fileLength, data.LongLength);
        _expansionBudget = length > MinExpansionBudget / ExpansionPerFileByte ? length * ExpansionPerFileByte : MinExpansionBudget;
    }

    private WeightFileException Error(string message, string? key = null) => new(_file, message + " (in data.pkl)", key, _pos);

    /// <summary>Runs the pickle program and returns its result as a checkpoint tree.</summary>
    public CheckpointValue Load()
    {
        try
        {
            var result = Run();
            return Convert(result, new Dictionary<object, CheckpointValue>(ReferenceEqualityComparer.Instance),
                new HashSet<object>(ReferenceEqualityComparer.Instance), 0);
        }
        catch
        {
            foreach (var t in _created) t.Dispose();
            throw;
        }
    }

    private byte ReadByte() => _pos < _data.Length ? _data[_pos++] : throw Error("unexpected end of pickle data");

    private ReadOnlySpan<byte> Read(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Error($"unexpected end of pickle data (need {n} bytes)");
        var s = _data.AsSpan(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    private string ReadLine()
    {
        var start = _pos;
        while (_pos < _data.Length && _data[_pos] != (byte)'\n') _pos++;
        if (_pos >= _data.Length) throw Error("unexpected end of pickle data in a text line");
        var s = Encoding.ASCII.GetString(_data, start, _pos - start);
        _pos++;
        return s;
    }

    private object? Run()
    {
        var stack = new List<object?>();
        var metastack = new List<List<object?>>();
        var memo = new Dictionary<long, object?>();
        object? Pop()
        {
            if (stack.Count == 0) throw Error("pickle stack underflow");
            var v = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return v;
        }
        object? Peek() => stack.Count > 0 ? stack[^1] : throw Error("pickle stack underflow");
        List<object?> PopMark()
        {
            if (metastack.Count == 0) throw Error("pickle MARK missing");
            var items = stack;
            stack = metastack[^1];
            metastack.RemoveAt(metastack.Count - 1);
            return items;
        }

        while (true)
        {
            var op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    var proto = ReadByte();
                    if (proto > 5) throw Error($"unsupported pickle protocol {proto}");
                    break;
                case 0x95: Read(8); break; // FRAME (protocol 4): frames are just a read-ahead hint
                case (byte)'.': return stack.Count == 1 ? stack[0] : throw Error("pickle STOP with a malformed stack");
                case (byte)'(': metastack.Add(stack); stack = new List<object?>(); break; // MARK
                case (byte)'}': stack.Add(new PyDict()); break; // EMPTY_DICT
                case (byte)']': stack.Add(new PyList(new List<object?>())); break; // EMPTY_LIST
                case (byte)')': stack.Add(new PyTuple(Array.Empty<object?>())); break; // EMPTY_TUPLE
                case (byte)'t': { var items = PopMark(); stack.Add(new PyTuple(items.ToArray())); break; } // TUPLE (pop first: PopMark swaps the stack)
                case 0x85: stack.Add(new PyTuple(new[] { Pop() })); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new PyTuple(new[] { a, b })); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new PyTuple(new[] { a, b, c })); break; } // TUPLE3
                case (byte)'l': { var items = PopMark(); stack.Add(new PyList(items)); break; } // LIST
                case (byte)'d': // DICT
                {
                    var items = PopMark();
                    var d = new PyDict();
                    for (var i = 0; i + 1 < items.Count; i += 2) d.Items.Add(new(items[i], items[i + 1]));
                    stack.Add(d);
                    break;
                }
                case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek()).Items.Add(new(k, v)); break; } // SETITEM
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    var d = AsDict(Peek());
                    for (var i = 0; i + 1 < items.Count; i += 2) d.Items.Add(new(items[i], items[i + 1]));
                    break;
                }
                case (byte)'a': { var v = Pop(); AsList(Peek()).Items.Add(v); break; } // APPEND
                case (byte)'e': { var items = PopMark(); AsList(Peek()).Items.AddRange(items); break; } // APPENDS
                case (byte)'N': stack.Add(null); break; // NONE
                case 0x88: stack.Add(true); break; // NEWTRUE
                case 0x89: stack.Add(false); break; // NEWFALSE
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Read(4))); break; // BININT
                case (byte)'K': stack.Add((long)ReadByte()); break; // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Read(2))); break; // BININT2
                case 0x8a: stack.Add(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: stack.Add(ReadLong(BinaryPrimitives.ReadInt32LittleEndian(Read(4)))); break; // LONG4
                case (byte)'I': // INT (text)
                {
                    var line = ReadLine();
                    stack.Add(line switch { "00" => false, "01" => true, _ => long.TryParse(line, out var v) ? v : throw Error($"bad INT '{line}'") });
                    break;
                }
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Read(8))); break; // BINFLOAT
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Read(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))))); break; // BINUNICODE
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Read(ReadByte()))); break; // SHORT_BINUNICODE
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Read(Length8()))); break; // BINUNICODE8
                case (byte)'C': stack.Add(Read(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': stack.Add(Read(BinaryPrimitives.ReadUInt32LittleEndian(Read(4))).ToArray()); break; // BINBYTES
                case 0x8e: stack.Add(Read(Length8()).ToArray()); break; // BINBYTES8
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': stack.Add(Peek()); break; // DUP
                case (byte)'q': memo[ReadByte()] = Peek(); break; // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Read(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'h': stack.Add(MemoGet(memo, ReadByte())); break; // BINGET
                case (byte)'j': stack.Add(MemoGet(memo, BinaryPrimitives.ReadUInt32LittleEndian(Read(4)))); break; // LONG_BINGET
                case (byte)'c': // GLOBAL
                {
                    var module = ReadLine();
                    var name = ReadLine();
                    stack.Add(ResolveGlobal(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop() as string ?? throw Error("STACK_GLOBAL needs string operands");
                    var module = Pop() as string ?? throw Error("STACK_GLOBAL needs string operands");
                    stack.Add(ResolveGlobal(module, name));
                    break;
                }
                case (byte)'Q': stack.Add(PersistentLoad(Pop())); break; // BINPERSID
                case (byte)'R': { var args = Pop(); var f = Pop(); stack.Add(Call(f, args)); break; } // REDUCE
                case 0x81: { var args = Pop(); var cls = Pop(); stack.Add(Call(cls, args)); break; } // NEWOBJ
                case (byte)'b': { var state = Pop(); Build(Peek(), state); break; } // BUILD
                default:
                    throw Error($"unsupported pickle opcode 0x{op:x2} ('{(op >= 32 && op < 127 ? (char)op : '?')}')");
            }
        }
    }

    /// <summary>An 8-byte length operand (BINUNICODE8, BINBYTES8); lengths past the end of the data are refused by Read.</summary>
    private long Length8()
    {
        var n = BinaryPrimitives.ReadUInt64LittleEndian(Read(8));
        return n > long.MaxValue ? -1 : (long)n;
    }

    private object? MemoGet(Dictionary<long, object?> memo, long i) =>
        memo.TryGetValue(i, out var v) ? v : throw Error($"memo key {i} is not defined");

    private long ReadLong(int n)
    {
        if (n < 0 || n > 8) throw Error($"integer of {n} bytes does not fit in 64 bits");
        var b = Read(n);
        if (n == 0) return 0;
        long v = 0;
        for (var i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
        if (n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
        return v;
    }

    private PyDict AsDict(object? o) => o as PyDict ?? throw Error($"SETITEM on a {Describe(o)}, expected a dict");

    private PyList AsList(object? o) => o as PyList ?? throw Error($"APPEND on a {Describe(o)}, expected a list");

    private static string Describe(object? o) => o switch
    {
        null => "None", Global g => g.ToString(), PyTuple => "tuple", PyList => "list", PyDict => "dict", _ => o.GetType().Name,
    };

    private object ResolveGlobal(string module, string name)
    {
        var full = module + "." + name;
        switch (full)
        {
            case "collections.OrderedDict":
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return new Global(module, name);
        }
        if (module == "torch" && StorageTypes.TryGetValue(name, out var dt)) return new StorageType(dt);
        throw Error($"unsupported class '{full}' in checkpoint: only state dicts and nested dicts/lists of tensors, numbers and strings can be read " +
                    "(save model.state_dict() rather than the model object)");
    }

    private object PersistentLoad(object? pid)
    {
        // ('storage', storage_type, key, location, numel)
        if (pid is not PyTuple { Items.Length: >= 5 } t || t.Items[0] is not "storage")
            throw Error($"unsupported persistent id {Describe(pid)}: expected ('storage', type, key, location, numel)");
        if (t.Items[1] is not StorageType st) throw Error($"persistent id names an unsupported storage type {Describe(t.Items[1])}");
        var key = t.Items[2] as string ?? throw Error("persistent id key is not a string");
        if (t.Items[4] is not long numel || numel < 0) throw Error("persistent id numel is not a non-negative integer", key);
        return new StorageRef(key, st.ScalarType, numel);
    }

    private object? Call(object? f, object? args)
    {
        if (f is not Global g) throw Error($"cannot call a {Describe(f)}");
        var a = (args as PyTuple)?.Items ?? throw Error($"arguments of {g} are not a tuple");
        switch (g.ToString())
        {
            case "collections.OrderedDict":
                if (a.Length != 0) throw Error("OrderedDict with constructor arguments is not supported");
                return new PyDict();
            case "torch._utils._rebuild_tensor_v2":
                return RebuildTensor(a);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return a.Length >= 1 && a[0] is Tensor pt ? pt : throw Error("_rebuild_parameter expects a tensor");
            default:
                throw Error($"cannot call {g}");
        }
    }

    private static void Build(object? target, object? state)
    {
        // OrderedDict state (e.g. the _metadata attribute of a state dict) and parameter state carry nothing we need.
        _ = target;
        _ = state;
    }

    private Tensor RebuildTensor(object?[] a)
    {
        if (a.Length < 4) throw Error("_rebuild_tensor_v2 expects (storage, offset, size, stride, ...)");
        if (a[0] is not StorageRef s) throw Error($"_rebuild_tensor_v2 storage is a {Describe(a[0])}");
        if (a[1] is not long offset) throw Error("_rebuild_tensor_v2 offset is not an integer", s.Key);
        var size = Longs(a[2], s.Key, "size");
        var stride = Longs(a[3], s.Key, "stride");
        if (size.Length != stride.Length) throw Error($"size has {size.Length} dims but stride has {stride.Length}", s.Key);
        var bytes = StorageBytes(s);
        var es = s.ScalarType.ElementSize();
        long numel = 1, last = offset;
        try
        {
            for (var i = 0; i < size.Length; i++)
            {
                if (size[i] < 0 || stride[i] < 0) throw Error("negative size or stride", s.Key);
                numel = checked(numel * size[i]);
                if (size[i] > 0) last = checked(last + (size[i] - 1) * stride[i]);
            }
            if (checked(numel * es) > Array.MaxLength) throw Error($"tensor of {numel} elements is too large to read (over {Array.MaxLength} bytes)", s.Key);
        }
        catch (OverflowException)
        {
            throw Error($"tensor size [{string.Join(", ", size)}] or stride [{string.Join(", ", stride)}] is out of range", s.Key);
        }
        byte[] dense;
        if (numel == 0)
        {
            dense = Array.Empty<byte>();
        }
        else
        {
            if (offset < 0 || last >= s.Numel)
                throw Error($"tensor view (offset {offset}, size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}]) reaches element {last} of a storage of {s.Numel}", s.Key);
            if (!IsContiguous(size, stride))
            {
                // An expanded or overlapping view holds more elements than its storage: made dense, a few bytes in the file
                // (a 1-element storage with size [2^29] and stride [0]) would allocate gigabytes of native memory. The
                // whole file's expansions share one budget proportional to its size.
                if (numel > s.Numel)
                {
                    _expandedBytes += numel * es;
                    if (_expandedBytes > _expansionBudget)
                        throw Error($"tensor view (size [{string.Join(", ", size)}], stride [{string.Join(", ", stride)}]) of a storage of {s.Numel} " +
                                    $"elements would expand the file's views to {_expandedBytes:N0} bytes, over the {_expansionBudget:N0} allowed for a file of this size", s.Key);
                }
                // Strided and expanded (stride 0) views: libtorch copies the view out of the storage. The managed
                // element-by-element gather took 14 s for the GD-ViG goldens (every tensor a broadcast of one value,
                // 258 MiB dense) on a busy machine; thorax fuzz --format torch counted them as hangs.
                Tensor strided;
                try
                {
                    using var scope = torch.NewDisposeScope();
                    using var storage = TensorBytes.FromBytes(bytes.AsSpan(0, checked((int)(s.Numel * es))), s.ScalarType, [s.Numel]);
                    strided = storage.as_strided(size, stride, offset).contiguous().MoveToOuterDisposeScope();
                }
                catch (ArgumentException e)
                {
                    throw Error(e.Message, s.Key);
                }
                strided = strided.DetachFromDisposeScope();
                _created.Add(strided);
                return strided;
            }
            dense = Gather(bytes, es, offset, size, stride, numel);
        }
        Tensor t;
        try
        {
            t = TensorBytes.FromBytes(dense, s.ScalarType, size).DetachFromDisposeScope();
        }
        catch (ArgumentException e)
        {
            throw Error(e.Message, s.Key);
        }
        _created.Add(t);
        return t;
    }

    private long[] Longs(object? o, string key, string what)
    {
        if (o is not PyTuple t) throw Error($"{what} is not a tuple", key);
        var r = new long[t.Items.Length];
        for (var i = 0; i < r.Length; i++) r[i] = t.Items[i] is long v ? v : throw Error($"{what} holds a non-integer", key);
        return r;
    }

    private byte[] StorageBytes(StorageRef s)
    {
        if (s.Numel > long.MaxValue / 8) throw Error($"storage of {s.Numel} elements is out of range", s.Key);
        var need = s.Numel * s.ScalarType.ElementSize();
        if (_storages.TryGetValue(s.Key, out var b))
        {
            // A storage named again with more elements (or a wider type) than its bytes hold: the gather read past
            // the array (thorax fuzz --format torch --seed 7, case 72439).
            if (b.Length < need)
                throw Error($"storage '{s.Key}' is named with {s.Numel} {s.ScalarType} elements ({need} bytes) but holds {b.Length} bytes", s.Key);
            return b;
        }
        b = _loadStorage(s.Key, need);
        _storages[s.Key] = b;
        return b;
    }

    private static bool IsContiguous(long[] size, long[] stride)
    {
        long expect = 1;
        for (var i = size.Length - 1; i >= 0; i--)
        {
            if (size[i] != 1 && stride[i] != expect) return false;
            expect *= size[i];
        }
        return true;
    }

    /// <summary>Copies the strided view out of a storage into dense row-major bytes.</summary>
    private static byte[] Gather(byte[] src, int es, long offset, long[] size, long[] stride, long numel)
    {
        var dst = new byte[numel * es];
        var nd = size.Length;
        var contiguous = true;
        long expect = 1;
        for (var i = nd - 1; i >= 0; i--)
        {
            if (size[i] != 1 && stride[i] != expect) contiguous = false;
            expect *= size[i];
        }
        if (contiguous)
        {
            Buffer.BlockCopy(src, checked((int)(offset * es)), dst, 0, dst.Length);
            return dst;
        }
        var idx = new long[nd];
        var inner = nd == 0 ? 1 : size[nd - 1];
        var innerStride = nd == 0 ? 0 : stride[nd - 1];
        long outPos = 0;
        while (outPos < dst.Length)
        {
            long basePos = offset;
            for (var d = 0; d < nd - 1; d++) basePos += idx[d] * stride[d];
            for (long j = 0; j < inner; j++)
            {
                Buffer.BlockCopy(src, checked((int)((basePos + j * innerStride) * es)), dst, (int)outPos, es);
                outPos += es;
            }
            for (var d = nd - 2; d >= 0; d--)
            {
                if (++idx[d] < size[d]) break;
                idx[d] = 0;
            }
        }
        return dst;
    }

    /// <summary>Deepest container nesting accepted: the tree is converted (and disposed) recursively.</summary>
    public const int MaxNesting = 1000;

    /// <summary>
    /// The pickle's object graph as a checkpoint tree. A container referenced twice becomes one shared node (the memo
    /// does that for every tensor view of a storage); a container that holds itself, directly or through others, has
    /// no tree form and is refused, as is nesting deeper than <see cref="MaxNesting"/> (a mutated BINPUT index made a
    /// dict that contains itself, and disposing it overflowed the stack: thorax fuzz --format torch --seed 7, case 58184).
    /// </summary>
    private CheckpointValue Convert(object? o, Dictionary<object, CheckpointValue> done, HashSet<object> open, int depth)
    {
        if (o is not null && done.TryGetValue(o, out var seen)) return seen;
        if (o is PyList or PyTuple or PyDict)
        {
            if (open.Contains(o)) throw Error($"a {Describe(o)} contains itself (a reference cycle), which a checkpoint tree cannot hold");
            if (depth >= MaxNesting) throw Error($"containers nested deeper than {MaxNesting} levels");
        }
        CheckpointValue r;
        switch (o)
        {
            case null: return CheckpointValue.NoneValue;
            case bool b: return CheckpointValue.Of(b);
            case long l: return CheckpointValue.Of(l);
            case double d: return CheckpointValue.Of(d);
            case string s: return CheckpointValue.Of(s);
            case byte[] bytes: r = CheckpointValue.Of(bytes); break;
            case Tensor t: r = CheckpointValue.Of(t); break;
            case PyList pl:
            {
                open.Add(o);
                var items = new List<CheckpointValue>(pl.Items.Count);
                foreach (var i in pl.Items) items.Add(Convert(i, done, open, depth + 1));
                open.Remove(o);
                r = CheckpointValue.List(items);
                break;
            }
            case PyTuple pt:
            {
                open.Add(o);
                var items = new List<CheckpointValue>(pt.Items.Length);
                foreach (var i in pt.Items) items.Add(Convert(i, done, open, depth + 1));
                open.Remove(o);
                r = CheckpointValue.Tuple(items);
                break;
            }
            case PyDict pd:
            {
                open.Add(o);
                var items = new List<KeyValuePair<CheckpointValue, CheckpointValue>>(pd.Items.Count);
                foreach (var (k, v) in pd.Items) items.Add(new(Convert(k, done, open, depth + 1), Convert(v, done, open, depth + 1)));
                open.Remove(o);
                r = CheckpointValue.Dict(items);
                break;
            }
            default:
                throw new WeightFileException(_file, $"the checkpoint contains a {Describe(o)} object, which has no data representation");
        }
        done[o] = r;
        return r;
    }
}
