/** The quickstart's response texts. */
export const MESSAGES = {
  public: "公开端点! 无需认证即可见.",
  private: "私有端点! 经过认证后可见.",
  privateScoped: "私有端点! 经过认证且拥有 read:messages scope 后可见.",
} as const;
