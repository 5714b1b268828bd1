using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Thorax.Dicom.Codecs;

/// <summary>
/// JPEG 2000 (lossless-only and lossy syntaxes) through OpenJPEG (<c>libopenjp2.so.7</c>, Debian package
/// libopenjp2-7). Accepts raw J2K codestreams and JP2 files; components must be full resolution.
/// </summary>
public sealed unsafe partial class OpenJpegCodec : IPixelCodec
{
    private const string Library = "libopenjp2.so.7";
    private const string Package = "libopenjp2-7";
    private const int CodecJ2K = 0, CodecJP2 = 2;

    private struct MemoryState
    {
        public byte* Data;
        public long Length;
        public long Position;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpjImage
    {
        public uint X0, Y0, X1, Y1, NumComps;
        public int ColorSpace;
        public OpjImageComp* Comps;
        public byte* IccProfile;
        public uint IccProfileLength;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpjImageComp
    {
        public uint Dx, Dy, W, H, X0, Y0, Prec, Bpp, Sgnd, ResnoDecoded, Factor;
        public int* Data;
        public ushort Alpha;
    }

    /// <inheritdoc/>
    public string Name => "OpenJPEG (JPEG 2000)";

    /// <inheritdoc/>
    public IReadOnlyList<TransferSyntax> TransferSyntaxes { get; } = [TransferSyntax.JPEG2000Lossless, TransferSyntax.JPEG2000];

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, PixelDataInfo info, Span<byte> destination)
    {
        if (encoded.Length < 12) throw Corrupt("stream is shorter than a codestream header", null);
        bool jp2 = encoded[..4].SequenceEqual(new byte[] { 0, 0, 0, 12 }) && encoded.Slice(4, 4).SequenceEqual("jP  "u8);
        if (!jp2 && !(encoded[0] == 0xFF && encoded[1] == 0x4F))
            throw Corrupt("no J2K SOC marker or JP2 signature", null);
        try
        {
            DecodeNative(encoded, jp2 ? CodecJP2 : CodecJ2K, info, destination);
        }
        catch (Exception ex) when (NativeCodecLibrary.IsLoadFailure(ex))
        {
            throw NativeCodecLibrary.Missing(Library, Package, info.TransferSyntax, ex);
        }
    }

    private static void DecodeNative(ReadOnlySpan<byte> encoded, int format, PixelDataInfo info, Span<byte> destination)
    {
        var messages = new StringBuilder();
        var handle = GCHandle.Alloc(messages);
        nint codec = 0, stream = 0;
        OpjImage* image = null;
        var parameters = new byte[32 * 1024];
        try
        {
            fixed (byte* src = encoded)
            fixed (byte* par = parameters)
            {
                var state = new MemoryState { Data = src, Length = encoded.Length, Position = 0 };
                codec = opj_create_decompress(format);
                if (codec == 0) throw new DicomCodecException("opj_create_decompress failed.", info.TransferSyntax);
                opj_set_error_handler(codec, &OnError, GCHandle.ToIntPtr(handle));
                opj_set_default_decoder_parameters(par);
                if (opj_setup_decoder(codec, par) == 0) throw Corrupt("decoder setup failed", messages);
                stream = opj_stream_create(64 * 1024, 1);
                if (stream == 0) throw new DicomCodecException("opj_stream_create failed.", info.TransferSyntax);
                opj_stream_set_read_function(stream, &Read);
                opj_stream_set_skip_function(stream, &Skip);
                opj_stream_set_seek_function(stream, &Seek);
                opj_stream_set_user_data(stream, &state, null);
                opj_stream_set_user_data_length(stream, (ulong)encoded.Length);
                if (opj_read_header(stream, codec, &image) == 0 || image == null) throw Corrupt("reading the header", messages);
                // Check the header against the data set before decoding, so a corrupt size cannot trigger huge allocations.
                if (image->X1 - image->X0 != info.Columns || image->Y1 - image->Y0 != info.Rows || image->NumComps != info.SamplesPerPixel)
                    throw Corrupt($"header says {image->X1 - image->X0}x{image->Y1 - image->Y0}x{image->NumComps}, the data set says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}", null);
                if (opj_decode(codec, stream, image) == 0) throw Corrupt("decoding", messages);
                if (opj_end_decompress(codec, stream) == 0) throw Corrupt("finishing", messages);
                Copy(image, info, destination);
            }
        }
        finally
        {
            if (image != null) opj_image_destroy(image);
            if (stream != 0) opj_stream_destroy(stream);
            if (codec != 0) opj_destroy_codec(codec);
            handle.Free();
        }
    }

    private static void Copy(OpjImage* image, PixelDataInfo info, Span<byte> destination)
    {
        int spp = info.SamplesPerPixel, bps = info.BytesPerSample, pixels = info.Rows * info.Columns;
        if (image->NumComps != spp)
            throw Corrupt($"codestream has {image->NumComps} components, the data set says {spp}", null);
        for (int c = 0; c < spp; c++)
        {
            var comp = image->Comps[c];
            if (comp.W != info.Columns || comp.H != info.Rows || comp.Dx != 1 || comp.Dy != 1 || comp.Data == null)
                throw Corrupt($"component {c} is {comp.W}x{comp.H} (subsampling {comp.Dx}x{comp.Dy}), the data set says {info.Columns}x{info.Rows}", null);
            if (comp.Prec > info.BitsAllocated)
                throw new DicomFormatException($"JPEG 2000 precision {comp.Prec} exceeds BitsAllocated {info.BitsAllocated}.", tag: DicomTag.BitsAllocated);
            var values = new ReadOnlySpan<int>(comp.Data, pixels);
            for (int p = 0; p < pixels; p++)
            {
                int v = values[p];
                int di = (p * spp + c) * bps;
                destination[di] = (byte)v;
                if (bps > 1) destination[di + 1] = (byte)(v >> 8);
                if (bps > 2) { destination[di + 2] = (byte)(v >> 16); destination[di + 3] = (byte)(v >> 24); }
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nuint Read(byte* buffer, nuint count, void* user)
    {
        var s = (MemoryState*)user;
        long left = s->Length - s->Position;
        if (left <= 0) return nuint.MaxValue; // (OPJ_SIZE_T)-1 signals end of stream
        long n = Math.Min(left, (long)count);
        Buffer.MemoryCopy(s->Data + s->Position, buffer, (long)count, n);
        s->Position += n;
        return (nuint)n;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long Skip(long count, void* user)
    {
        var s = (MemoryState*)user;
        long target = Math.Clamp(s->Position + count, 0, s->Length);
        long skipped = target - s->Position;
        s->Position = target;
        return skipped == 0 && count != 0 ? -1 : skipped;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Seek(long offset, void* user)
    {
        var s = (MemoryState*)user;
        if (offset < 0 || offset > s->Length) return 0;
        s->Position = offset;
        return 1;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnError(byte* message, void* client)
    {
        if (GCHandle.FromIntPtr((nint)client).Target is StringBuilder sb && sb.Length < 2000)
            sb.Append(Marshal.PtrToStringUTF8((nint)message)?.Trim()).Append("; ");
    }

    private static DicomFormatException Corrupt(string stage, StringBuilder? messages) =>
        new($"Corrupt JPEG 2000 stream ({stage}){(messages is { Length: > 0 } ? ": " + messages.ToString().TrimEnd(' ', ';') : "")}.",
            tag: DicomTag.PixelData);

    [LibraryImport(Library)] private static partial nint opj_create_decompress(int format);
    [LibraryImport(Library)] private static partial void opj_destroy_codec(nint codec);
    [LibraryImport(Library)] private static partial void opj_set_default_decoder_parameters(byte* parameters);
    [LibraryImport(Library)] private static partial int opj_setup_decoder(nint codec, byte* parameters);
    [LibraryImport(Library)] private static partial int opj_set_error_handler(nint codec, delegate* unmanaged[Cdecl]<byte*, void*, void> handler, nint client);
    [LibraryImport(Library)] private static partial nint opj_stream_create(nuint bufferSize, int isInput);
    [LibraryImport(Library)] private static partial void opj_stream_destroy(nint stream);
    [LibraryImport(Library)] private static partial void opj_stream_set_read_function(nint stream, delegate* unmanaged[Cdecl]<byte*, nuint, void*, nuint> fn);
    [LibraryImport(Library)] private static partial void opj_stream_set_skip_function(nint stream, delegate* unmanaged[Cdecl]<long, void*, long> fn);
    [LibraryImport(Library)] private static partial void opj_stream_set_seek_function(nint stream, delegate* unmanaged[Cdecl]<long, void*, int> fn);
    [LibraryImport(Library)] private static partial void opj_stream_set_user_data(nint stream, void* data, void* freeFn);
    [LibraryImport(Library)] private static partial void opj_stream_set_user_data_length(nint stream, ulong length);
    [LibraryImport(Library)] private static partial int opj_read_header(nint stream, nint codec, OpjImage** image);
    [LibraryImport(Library)] private static partial int opj_decode(nint codec, nint stream, OpjImage* image);
    [LibraryImport(Library)] private static partial int opj_end_decompress(nint codec, nint stream);
    [LibraryImport(Library)] private static partial void opj_image_destroy(OpjImage* image);
}
