// Implementation of the EkyaData codec shim. stb_image and stb_image_write are compiled here once.
#include "CEkyaCodecs.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#include <stb/stb_image.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

int ekya_gunzip_file(const char *path, uint8_t **out, size_t *length) {
    *out = NULL;
    *length = 0;
    gzFile file = gzopen(path, "rb");
    if (file == NULL) {
        return ekya_codecs_open_failed;
    }
    gzbuffer(file, 1 << 17);
    size_t capacity = 1 << 20;
    size_t used = 0;
    uint8_t *buffer = malloc(capacity);
    if (buffer == NULL) {
        gzclose(file);
        return ekya_codecs_out_of_memory;
    }
    for (;;) {
        if (capacity - used < (1 << 16)) {
            size_t grown = capacity * 2;
            uint8_t *bigger = realloc(buffer, grown);
            if (bigger == NULL) {
                free(buffer);
                gzclose(file);
                return ekya_codecs_out_of_memory;
            }
            buffer = bigger;
            capacity = grown;
        }
        unsigned int chunk = (unsigned int)(capacity - used > (1u << 30) ? (1u << 30) : capacity - used);
        int count = gzread(file, buffer + used, chunk);
        if (count < 0) {
            free(buffer);
            gzclose(file);
            return ekya_codecs_corrupt;
        }
        if (count == 0) {
            break;
        }
        used += (size_t)count;
    }
    int status = gzclose(file);
    if (status != Z_OK && status != Z_BUF_ERROR) {
        free(buffer);
        return ekya_codecs_corrupt;
    }
    *out = buffer;
    *length = used;
    return ekya_codecs_ok;
}

int ekya_decode_gray(const uint8_t *data, size_t length, int *width, int *height, uint8_t **out) {
    *out = NULL;
    *width = 0;
    *height = 0;
    if (length > 0x7fffffff) {
        return ekya_codecs_corrupt;
    }
    int channels = 0;
    stbi_uc *pixels = stbi_load_from_memory(data, (int)length, width, height, &channels, 1);
    if (pixels == NULL) {
        return ekya_codecs_corrupt;
    }
    *out = pixels;
    return ekya_codecs_ok;
}

int ekya_image_dimensions(const uint8_t *data, size_t length, int *width, int *height) {
    *width = 0;
    *height = 0;
    if (length > 0x7fffffff) {
        return 0;
    }
    int channels = 0;
    return stbi_info_from_memory(data, (int)length, width, height, &channels) ? 1 : 0;
}

const char *ekya_image_failure_reason(void) {
    const char *reason = stbi_failure_reason();
    return reason == NULL ? "unknown error" : reason;
}

typedef struct {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
    int failed;
} ekya_memory_writer;

static void ekya_write_to_memory(void *context, void *data, int size) {
    ekya_memory_writer *writer = context;
    if (writer->failed || size <= 0) {
        return;
    }
    if (writer->length + (size_t)size > writer->capacity) {
        size_t grown = writer->capacity == 0 ? 4096 : writer->capacity;
        while (grown < writer->length + (size_t)size) {
            grown *= 2;
        }
        uint8_t *bigger = realloc(writer->bytes, grown);
        if (bigger == NULL) {
            writer->failed = 1;
            return;
        }
        writer->bytes = bigger;
        writer->capacity = grown;
    }
    memcpy(writer->bytes + writer->length, data, (size_t)size);
    writer->length += (size_t)size;
}

static int ekya_finish(ekya_memory_writer *writer, int ok, uint8_t **out, size_t *length) {
    if (!ok || writer->failed) {
        free(writer->bytes);
        return writer->failed ? ekya_codecs_out_of_memory : ekya_codecs_corrupt;
    }
    *out = writer->bytes;
    *length = writer->length;
    return ekya_codecs_ok;
}

int ekya_encode_png(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *length) {
    *out = NULL;
    *length = 0;
    ekya_memory_writer writer = {0};
    int ok = stbi_write_png_to_func(ekya_write_to_memory, &writer, width, height, channels, pixels, width * channels);
    return ekya_finish(&writer, ok, out, length);
}

int ekya_encode_jpeg(
    const uint8_t *pixels, int width, int height, int channels, int quality, uint8_t **out, size_t *length) {
    *out = NULL;
    *length = 0;
    ekya_memory_writer writer = {0};
    int ok = stbi_write_jpg_to_func(ekya_write_to_memory, &writer, width, height, channels, pixels, quality);
    return ekya_finish(&writer, ok, out, length);
}

void ekya_codecs_free(void *pointer) { free(pointer); }
