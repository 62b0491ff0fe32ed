// The contrast of a focused element's strongest focus colour (outline, box-shadow or its
// focused background) against the background behind the element: at least 3:1 is visible.
(element) => {
  const colours = (text) =>
    (text.match(/rgba?\([^)]*\)/g) || [])
      .map((c) => c.replace(/rgba?\(|\)/g, "").split(",").map(Number))
      .filter((c) => c.length < 4 || c[3] > 0);
  const luminance = (colour) => {
    const [r, g, b] = colour.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [light, dark] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (light + 0.05) / (dark + 0.05);
  };
  let behind = element.parentElement;
  let back = [255, 255, 255];
  while (behind) {
    const found = colours(getComputedStyle(behind).backgroundColor);
    if (found.length) {
      back = found[0];
      break;
    }
    behind = behind.parentElement;
  }
  const style = getComputedStyle(element);
  const shown = [];
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
    shown.push(...colours(style.outlineColor));
  }
  shown.push(...colours(style.boxShadow), ...colours(style.backgroundColor));
  return Math.max(0, ...shown.map((c) => ratio(c, back)));
}
