/** Phone width, one breakpoint for the whole app (the shell's, styles.css): `PHONE_QUERY`, and `usePhone()`, a
ref that is true while the window is phone-wide. */
import { onBeforeUnmount, ref } from "vue";

export const PHONE_QUERY = "(max-width: 767px)";
const QUERY = PHONE_QUERY;

export function usePhone() {
  const media = window.matchMedia(QUERY);
  const phone = ref(media.matches);
  const changed = (event) => { phone.value = event.matches; };
  media.addEventListener("change", changed);
  onBeforeUnmount(() => media.removeEventListener("change", changed));
  return phone;
}
