// C shim for EkyaData: gunzip (zlib) and image decoding/encoding (stb_image, stb_image_write).
#ifndef CEKYA_CODECS_H
#define CEKYA_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes returned by the shim.
enum {
    ekya_codecs_ok = 0,
    ekya_codecs_open_failed = 1,
    ekya_codecs_corrupt = 2,
    ekya_codecs_out_of_memory = 3,
};

/// Reads and decompresses a whole gzip file (or a plain file, which zlib passes through).
/// On success `*out` holds `*length` bytes that the caller frees with `ekya_codecs_free`.
int ekya_gunzip_file(const char *path, uint8_t **out, size_t *length);

/// Decodes a PNG/JPEG/BMP/... image from memory into 8-bit grayscale (luma).
/// On success `*out` holds `*width * *height` bytes that the caller frees with `ekya_codecs_free`.
/// Returns NULL-safe status; on failure `ekya_image_failure_reason()` says why.
int ekya_decode_gray(const uint8_t *data, size_t length, int *width, int *height, uint8_t **out);

/// The reason of the last decoding failure on this thread (from stb_image).
const char *ekya_image_failure_reason(void);

/// Reads an image's declared size without decoding it; returns 1 when the header is readable.
int ekya_image_dimensions(const uint8_t *data, size_t length, int *width, int *height);

/// Encodes 8-bit pixels (`channels` 1..4) as PNG; `*out` is freed with `ekya_codecs_free`.
int ekya_encode_png(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *length);

/// Encodes 8-bit pixels (`channels` 1..4) as baseline JPEG at `quality` 1...100; freed with `ekya_codecs_free`.
int ekya_encode_jpeg(
    const uint8_t *pixels, int width, int height, int channels, int quality, uint8_t **out, size_t *length);

/// Frees a buffer returned by this shim.
void ekya_codecs_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
