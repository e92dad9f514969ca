/* bcryptprimitives.dll for Wine 8.0, which lacks it: Rust's std (1.78+)
 * takes its random numbers from ProcessPrng there. This stand-in answers
 * from RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 * Built by ci/wine/run and placed beside the test executable; never
 * shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
