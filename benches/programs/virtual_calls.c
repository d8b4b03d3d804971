// Virtual calls: objects of six kinds, each kind a table of function pointers
// (C's equivalent of a C++ vtable), called in a loop over an array of mixed
// objects in pseudo-random order. Every call is an indirect call whose target
// changes from one object to the next, and every return an indirect jump.
#include "bench.h"

#define NOBJ 4096
#define DEFAULT_REPS 4200

struct object;

struct vtable {
    uint64_t (*area)(const struct object *); // in 1/256 units (fixed point)
    uint64_t (*perimeter)(const struct object *);
    void (*grow)(struct object *, uint32_t);
};

struct object {
    const struct vtable *vt;
    uint32_t a, b, c;
};

// The functions take and return integers only: fixed point with 8 fraction bits,
// pi as 804/256.
static uint64_t square_area(const struct object *o) { return (uint64_t)o->a * o->a << 8; }
static uint64_t square_perim(const struct object *o) { return (uint64_t)o->a << 10; }
static uint64_t rect_area(const struct object *o) { return (uint64_t)o->a * o->b << 8; }
static uint64_t rect_perim(const struct object *o) { return ((uint64_t)o->a + o->b) << 9; }
static uint64_t circle_area(const struct object *o) { return (uint64_t)o->a * o->a * 804; }
static uint64_t circle_perim(const struct object *o) { return (uint64_t)o->a * 1608; }
static uint64_t tri_area(const struct object *o) { return (uint64_t)o->a * o->b << 7; }
static uint64_t tri_perim(const struct object *o)
{
    return ((uint64_t)o->a + o->b + o->c) << 8;
}
static uint64_t ring_area(const struct object *o)
{
    return ((uint64_t)o->a * o->a - (uint64_t)o->b * o->b) * 804;
}
static uint64_t ring_perim(const struct object *o) { return ((uint64_t)o->a + o->b) * 1608; }
static uint64_t poly_area(const struct object *o)
{
    // A regular polygon with c sides of length a, apothem b.
    return ((uint64_t)o->a * o->b * o->c) << 7;
}
static uint64_t poly_perim(const struct object *o) { return ((uint64_t)o->a * o->c) << 8; }

static void grow_a(struct object *o, uint32_t d) { o->a = (o->a + d) & 1023; }
static void grow_ab(struct object *o, uint32_t d)
{
    o->a = (o->a + d) & 1023;
    o->b = (o->b + (d >> 1)) & 1023;
}
static void grow_ring(struct object *o, uint32_t d)
{
    // Keep the inner radius below the outer one.
    o->a = ((o->a + d) & 1023) + 1;
    o->b = (o->b + d) % o->a;
}
static void grow_poly(struct object *o, uint32_t d)
{
    o->a = (o->a + d) & 1023;
    o->c = 3 + (o->c + d) % 9;
}

static const struct vtable vtables[6] = {
    {square_area, square_perim, grow_a},  {rect_area, rect_perim, grow_ab},
    {circle_area, circle_perim, grow_a},  {tri_area, tri_perim, grow_ab},
    {ring_area, ring_perim, grow_ring},   {poly_area, poly_perim, grow_poly},
};

static struct object objs[NOBJ];

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);

    // Arithmetic self-checks of two implementations through their tables: a 3x3
    // square has area 9 and perimeter 12 (times 256); a circle of radius 1 has
    // area 804/256 ~ pi.
    struct object sq = {&vtables[0], 3, 0, 0}, ci = {&vtables[2], 1, 0, 0};
    bench_expect("square area", sq.vt->area(&sq), 9 * 256);
    bench_expect("square perimeter", sq.vt->perimeter(&sq), 12 * 256);
    bench_expect("unit circle area", ci.vt->area(&ci), 804);

    uint32_t seed = 2024;
    for (uint32_t i = 0; i < NOBJ; i++) {
        struct object *o = &objs[i];
        o->vt = &vtables[(bench_lcg(&seed) >> 16) % 6];
        o->a = 2 + (bench_lcg(&seed) >> 20) % 500;
        o->b = 1 + (bench_lcg(&seed) >> 20) % (o->a - 1);
        o->c = 3 + (bench_lcg(&seed) >> 20) % 9;
    }

    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint64_t area = 0, perim = 0;
        for (uint32_t i = 0; i < NOBJ; i++) {
            struct object *o = &objs[i];
            area += o->vt->area(o);
            perim += o->vt->perimeter(o);
            o->vt->grow(o, (uint32_t)(r + i) & 7);
        }
        check = bench_mix(check, area);
        check = bench_mix(check, perim);
    }
    return bench_finish("virtual_calls", scale, check);
}
