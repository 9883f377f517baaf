/** The 14 event names of the product spec; TikTok keeps accepting them. */
export const PRODUCT_EVENT_NAMES = [
  "AddPaymentInfo",
  "AddToCart",
  "AddToWishlist",
  "ClickButton",
  "CompletePayment",
  "CompleteRegistration",
  "Contact",
  "Download",
  "InitiateCheckout",
  "PlaceAnOrder",
  "Search",
  "SubmitForm",
  "Subscribe",
  "ViewContent",
] as const;

/** Names added to TikTok's standard list in May 2025. */
export const TIKTOK_2025_EVENT_NAMES = [
  "ApplicationApproval",
  "CustomizeProduct",
  "FindLocation",
  "Lead",
  "Purchase",
  "Schedule",
  "StartTrial",
  "SubmitApplication",
] as const;

export const EVENT_NAMES = [...PRODUCT_EVENT_NAMES, ...TIKTOK_2025_EVENT_NAMES] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Soft-deprecated by TikTok (supported until 2027): accepted with a warning. */
export const DEPRECATED_EVENT_NAMES: Readonly<Partial<Record<EventName, string>>> = {
  ClickButton: "TikTok soft-deprecated ClickButton (supported until 2027); prefer a more specific event such as Contact or ViewContent",
  PlaceAnOrder: "TikTok soft-deprecated PlaceAnOrder (supported until 2027); prefer CompletePayment or Purchase",
};
